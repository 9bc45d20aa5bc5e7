-- One benchmark phase, per consumer: the rows of the events it published
-- (trade ids $1..$2, source 'sim'), their end-to-end latency
-- (processed_at - fetched_at, ms) with its parts, and how many were written
-- by the phase's deadline for the consumer (its end plus the latency the
-- consumer is allowed): $3 realtime, $4 batch. Percentiles: percentile_cont,
-- like npm run compare.
WITH rows AS (
  SELECT consumer, processed_at,
         extract(epoch FROM processed_at - fetched_at) * 1000 AS latency_ms,
         extract(epoch FROM ingested_at - fetched_at) * 1000 AS put_ms,
         extract(epoch FROM received_at - ingested_at) * 1000 AS wait_ms,
         extract(epoch FROM processed_at - received_at) * 1000 AS write_ms
    FROM silver.prices
   WHERE source = 'sim' AND trade_id BETWEEN $1 AND $2
)
SELECT consumer,
       count(*)::int AS records,
       (count(*) FILTER (
         WHERE processed_at <= CASE consumer WHEN 'batch' THEN $4::timestamptz ELSE $3::timestamptz END
       ))::int AS by_deadline,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS latency_ms,
       max(latency_ms)::float8 AS max_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY put_ms) AS put_p50_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY wait_ms) AS wait_p50_ms,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY write_ms) AS write_p50_ms,
       min(processed_at) AS first_write,
       max(processed_at) AS last_write
  FROM rows
 GROUP BY consumer
 ORDER BY consumer;
