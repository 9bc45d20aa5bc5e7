-- Dashboard "Latency p50 / p95 per consumer": end-to-end latency
-- (processed_at - fetched_at, ms) per bucket of processed_at, as the series
-- "<consumer> p50" and "<consumer> p95". Percentiles: percentile_cont, as in
-- sql/reports/consumers.sql.
--   $1 since (timestamptz), $2 until (timestamptz), $3 bucket width in seconds
WITH buckets AS (
  SELECT date_bin(make_interval(secs => $3::float8), processed_at,
                  timestamptz '1970-01-01 00:00:00+00') AS t,
         consumer,
         percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (
           ORDER BY extract(epoch FROM processed_at - fetched_at) * 1000) AS pct
    FROM silver.prices
   WHERE processed_at >= $1::timestamptz AND processed_at < $2::timestamptz
   GROUP BY 1, 2
)
SELECT b.t, b.consumer || ' ' || v.name AS series, round(v.ms::numeric, 3)::float8 AS value
  FROM buckets b
 CROSS JOIN LATERAL (VALUES (1, 'p50', b.pct[1]), (2, 'p95', b.pct[2])) AS v(ord, name, ms)
 ORDER BY v.ord, b.consumer DESC, b.t;
