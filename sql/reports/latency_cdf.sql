-- The end-to-end latency distribution of each consumer over the rows
-- processed in the window [$1, $2): its CDF as 201 points, the latency
-- (processed_at - fetched_at, ms, percentile_cont) below which each share
-- 0, 0.005, ..., 1 of the rows lies. Read by npm run report and the local
-- dashboard's CDF widget.
--   $1 since (timestamptz), $2 until (timestamptz)
WITH shares AS (
  SELECT array_agg(s / 200.0 ORDER BY s)::float8[] AS q FROM generate_series(0, 200) AS s
), per_consumer AS (
  SELECT p.consumer,
         count(*)::int AS records,
         percentile_cont((SELECT q FROM shares)) WITHIN GROUP (
           ORDER BY extract(epoch FROM p.processed_at - p.fetched_at) * 1000
         ) AS latency_ms
    FROM silver.prices p
   WHERE p.processed_at >= $1::timestamptz AND p.processed_at < $2::timestamptz
   GROUP BY p.consumer
)
SELECT c.consumer, c.records, q.share, c.latency_ms[q.i]::float8 AS latency_ms
  FROM per_consumer c
 CROSS JOIN LATERAL unnest((SELECT q FROM shares)) WITH ORDINALITY AS q(share, i)
 ORDER BY c.consumer DESC, q.i;
