-- The local dashboard's metric store: one row per value of an EMF metric a
-- function printed (what CloudWatch Logs would turn into a metric on AWS), and
-- per measurement the local runtime makes itself (namespace LocalRuntime:
-- invocation durations and errors, dead-lettered batches). Created on demand
-- by local/dashboard/metric-store.ts; local only, never part of the stack.
CREATE SCHEMA IF NOT EXISTS local_runtime;

CREATE TABLE IF NOT EXISTS local_runtime.metric_points (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  time        timestamptz      NOT NULL,  -- the document's _aws.Timestamp
  namespace   text             NOT NULL,
  metric      text             NOT NULL,
  unit        text,
  value       double precision NOT NULL,
  -- Every dimension the document's dimension sets name, with its value.
  dimensions  jsonb            NOT NULL DEFAULT '{}',
  function    text,                       -- the function that printed it
  stored_at   timestamptz      NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS metric_points_lookup
  ON local_runtime.metric_points (namespace, metric, time);
