-- One metric's points in the window [$5, $6), per bucket of $7 seconds
-- (aligned on the Unix epoch) and, when $4 names a dimension, per value of
-- that dimension. Every statistic the dashboard offers is computed; the
-- caller picks one.
--   $1 namespace, $2 metric, $3 dimensions the points must have (jsonb),
--   $4 split dimension (text, or null), $5 since, $6 until, $7 bucket seconds
SELECT date_bin(make_interval(secs => $7::float8), time, timestamptz '1970-01-01 00:00:00+00') AS t,
       coalesce(dimensions ->> $4::text, '') AS split,
       sum(value) AS sum,
       avg(value) AS average,
       min(value) AS minimum,
       max(value) AS maximum,
       count(*)::float8 AS sample_count,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY value) AS pct
  FROM local_runtime.metric_points
 WHERE namespace = $1 AND metric = $2 AND dimensions @> $3::jsonb
   AND time >= $5::timestamptz AND time < $6::timestamptz
 GROUP BY 1, 2
 ORDER BY 2, 1;
