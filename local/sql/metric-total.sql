-- One metric over the whole window [$5, $6) (a single-value widget), per
-- value of the split dimension $4 when given. Same statistics as
-- metric-series.sql.
--   $1 namespace, $2 metric, $3 dimensions the points must have (jsonb),
--   $4 split dimension (text, or null), $5 since, $6 until
SELECT coalesce(dimensions ->> $4::text, '') AS split,
       sum(value) AS sum,
       avg(value) AS average,
       min(value) AS minimum,
       max(value) AS maximum,
       count(*)::float8 AS sample_count,
       percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY value) AS pct
  FROM local_runtime.metric_points
 WHERE namespace = $1 AND metric = $2 AND dimensions @> $3::jsonb
   AND time >= $5::timestamptz AND time < $6::timestamptz
 GROUP BY 1
 ORDER BY 1;
