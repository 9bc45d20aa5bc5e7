-- End-to-end latency split into its parts, per consumer, for the rows
-- processed in the window [$1, $2). Milliseconds; percentiles: percentile_cont.
--   $1 since (timestamptz), $2 until (timestamptz)
--   fetched_to_ingested    ingested_at - fetched_at    producer to Kinesis (two clocks)
--   ingested_to_received   received_at - ingested_at   polling and batching wait
--   received_to_processed  processed_at - received_at  the write
SELECT p.consumer,
       v.part,
       round(avg(v.ms)::numeric, 3)::float8 AS avg_ms,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY v.ms))::numeric, 3)::float8 AS p50_ms,
       round((percentile_cont(0.95) WITHIN GROUP (ORDER BY v.ms))::numeric, 3)::float8 AS p95_ms
  FROM silver.prices p
 CROSS JOIN LATERAL (VALUES
         (1, 'fetched_to_ingested', (extract(epoch FROM p.ingested_at - p.fetched_at) * 1000)::float8),
         (2, 'ingested_to_received', (extract(epoch FROM p.received_at - p.ingested_at) * 1000)::float8),
         (3, 'received_to_processed', (extract(epoch FROM p.processed_at - p.received_at) * 1000)::float8)
       ) AS v(ord, part, ms)
 WHERE p.processed_at >= $1::timestamptz AND p.processed_at < $2::timestamptz
 GROUP BY p.consumer, v.ord, v.part
 ORDER BY p.consumer DESC, v.ord;
