-- The local runtime's own bookkeeping, next to the pipeline's tables.
CREATE SCHEMA IF NOT EXISTS local_runtime;

-- Where each event source mapping is in each shard: the last sequence number
-- fully processed, or (a mapping that started at LATEST and has not seen a
-- record yet) the time it started, so a restart loses nothing.
CREATE TABLE IF NOT EXISTS local_runtime.shard_checkpoints (
  mapping_id        text        NOT NULL,
  shard_id          text        NOT NULL,
  stream_arn        text        NOT NULL,
  -- A re-created stream has a new creation time; its old checkpoints are void.
  stream_created_at timestamptz,
  sequence_number   text,
  at_timestamp      timestamptz,
  shard_finished    boolean     NOT NULL DEFAULT false,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (mapping_id, shard_id)
);
-- When the checkpointed record arrived: where to start again if the stream
-- no longer has that record (kinesis-local restored from an older save).
ALTER TABLE local_runtime.shard_checkpoints ADD COLUMN IF NOT EXISTS arrived_at timestamptz;

-- The on-failure destination of the event source mappings (an SQS queue on
-- AWS). `payload` is the document Lambda sends there.
CREATE TABLE IF NOT EXISTS local_runtime.dead_letters (
  id                    bigserial   PRIMARY KEY,
  mapping_id            text        NOT NULL,
  function_name         text        NOT NULL,
  destination_arn       text,
  stream_arn            text        NOT NULL,
  shard_id              text        NOT NULL,
  start_sequence_number text        NOT NULL,
  end_sequence_number   text        NOT NULL,
  batch_size            integer     NOT NULL,
  first_arrival         timestamptz NOT NULL,
  last_arrival          timestamptz NOT NULL,
  reason                text        NOT NULL,
  error                 text,
  attempts              integer     NOT NULL,
  payload               jsonb       NOT NULL,
  created_at            timestamptz NOT NULL DEFAULT now()
);
-- npm run redrive: when a dead letter's records were delivered again, or why not.
ALTER TABLE local_runtime.dead_letters ADD COLUMN IF NOT EXISTS redriven_at timestamptz;
ALTER TABLE local_runtime.dead_letters ADD COLUMN IF NOT EXISTS redrive_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE local_runtime.dead_letters ADD COLUMN IF NOT EXISTS redrive_error text;
CREATE INDEX IF NOT EXISTS dead_letters_mapping_shard
  ON local_runtime.dead_letters (mapping_id, shard_id, created_at);
