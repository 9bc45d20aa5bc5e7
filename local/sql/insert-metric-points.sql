-- Stores a batch of metric points, one array per column.
--   $1 time, $2 namespace, $3 metric, $4 unit, $5 value, $6 dimensions (jsonb), $7 function
INSERT INTO local_runtime.metric_points (time, namespace, metric, unit, value, dimensions, function)
SELECT *
  FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::jsonb[], $7::text[]);
