-- Per consumer: records, throughput, end-to-end latency and freshness of the
-- rows processed in the window [$1, $2).
--   $1 since (timestamptz), $2 until (timestamptz)
-- Latency = processed_at - fetched_at, in milliseconds, rounded to the
-- microsecond the columns hold. Percentiles: percentile_cont (continuous,
-- interpolated between the two nearest rows). Throughput: records per minute
-- of the whole window. Freshness: now() - the last write in the window.
-- Both consumers always get a row, with records = 0 when they wrote nothing.
WITH timed AS (
  SELECT consumer, processed_at,
         (extract(epoch FROM processed_at - fetched_at) * 1000)::float8 AS latency_ms
    FROM silver.prices
   WHERE processed_at >= $1::timestamptz AND processed_at < $2::timestamptz
), stats AS (
  SELECT consumer,
         count(*) AS records,
         avg(latency_ms) AS avg_ms,
         min(latency_ms) AS min_ms,
         max(latency_ms) AS max_ms,
         percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_ms) AS pct_ms,
         max(processed_at) AS last_write_at
    FROM timed
   GROUP BY consumer
)
SELECT c.consumer,
       coalesce(s.records, 0)::int AS records,
       round((coalesce(s.records, 0)
              / (extract(epoch FROM $2::timestamptz - $1::timestamptz) / 60))::numeric, 3)::float8
         AS per_minute,
       round(s.avg_ms::numeric, 3)::float8 AS avg_ms,
       round(s.min_ms::numeric, 3)::float8 AS min_ms,
       round(s.max_ms::numeric, 3)::float8 AS max_ms,
       round(s.pct_ms[1]::numeric, 3)::float8 AS p50_ms,
       round(s.pct_ms[2]::numeric, 3)::float8 AS p95_ms,
       round(s.pct_ms[3]::numeric, 3)::float8 AS p99_ms,
       s.last_write_at,
       round(extract(epoch FROM now() - s.last_write_at), 3)::float8 AS freshness_s
  FROM (VALUES (1, 'realtime'), (2, 'batch')) AS c(ord, consumer)
  LEFT JOIN stats s USING (consumer)
 ORDER BY c.ord;
