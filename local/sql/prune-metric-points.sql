-- Keeps the local metric store small: points older than $1 go.
--   $1 oldest time kept (timestamptz)
DELETE FROM local_runtime.metric_points WHERE time < $1::timestamptz;
