-- Records per UTC minute (by processed_at) for each consumer over the window
-- [$1, $2), one row for every minute the window touches, zero-filled. The
-- first and last buckets are partial when the window does not start or end
-- on a minute.
--   $1 since (timestamptz), $2 until (timestamptz)
WITH counts AS (
  SELECT date_trunc('minute', processed_at, 'UTC') AS minute,
         count(*) FILTER (WHERE consumer = 'realtime') AS realtime,
         count(*) FILTER (WHERE consumer = 'batch') AS batch
    FROM silver.prices
   WHERE processed_at >= $1::timestamptz AND processed_at < $2::timestamptz
   GROUP BY 1
)
SELECT m.minute,
       coalesce(c.realtime, 0)::int AS realtime,
       coalesce(c.batch, 0)::int AS batch
  FROM generate_series(
         date_trunc('minute', $1::timestamptz, 'UTC'),
         date_trunc('minute', $2::timestamptz - interval '1 microsecond', 'UTC'),
         interval '1 minute'
       ) AS m(minute)
  LEFT JOIN counts c USING (minute)
 ORDER BY m.minute;
