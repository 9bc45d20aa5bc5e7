-- Per consumer: records, throughput, end-to-end latency and freshness of the
-- rows processed in the window [$1, $2).
--   $1 since (timestamptz), $2 until (timestamptz)
-- Latency = processed_at - fetched_at, in milliseconds, rounded to the
-- microsecond the columns hold. Percentiles: percentile_cont (continuous,
-- interpolated between the two nearest rows). Freshness: now() - the last
-- write in the window.
-- Throughput: records per minute over the time the producer was sending
-- them, not the whole window (time before the first fetch or after the last
-- is idle, not slow): the span from the first to the last fetched_at of the
-- consumer's rows, plus one fetch interval, measured as that span over the
-- number of fetches (rows fetched within a second of each other are one
-- fetch, as a tick fetches every symbol at once). Null with one fetch.
-- Both consumers always get a row, with records = 0 when they wrote nothing.
WITH timed AS (
  SELECT consumer, processed_at, fetched_at,
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
), gaps AS (
  SELECT consumer, fetched_at,
         fetched_at - lag(fetched_at) OVER (PARTITION BY consumer ORDER BY fetched_at) AS gap
    FROM timed
), fetches AS (
  SELECT consumer,
         count(*) FILTER (WHERE gap IS NULL OR gap > interval '1 second') AS fetches,
         count(*) AS records,
         extract(epoch FROM max(fetched_at) - min(fetched_at))::float8 AS span_s
    FROM gaps
   GROUP BY consumer
), rates AS (
  -- Each fetch stands for one interval; rows arriving one by one (no bursts) each for one.
  SELECT consumer,
         CASE
           WHEN span_s <= 0 THEN NULL
           WHEN fetches >= 2 THEN records / (span_s * fetches / (fetches - 1)) * 60
           WHEN records >= 2 THEN records / (span_s * records / (records - 1)) * 60
         END AS per_minute
    FROM fetches
)
SELECT c.consumer,
       coalesce(s.records, 0)::int AS records,
       round(r.per_minute::numeric, 3)::float8 AS per_minute,
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
  LEFT JOIN rates r USING (consumer)
 ORDER BY c.ord;
