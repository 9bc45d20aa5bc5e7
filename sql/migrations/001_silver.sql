-- Silver layer: one row per price event per consumer, with every timing
-- column needed to split end-to-end latency into its parts.
CREATE SCHEMA IF NOT EXISTS silver;

CREATE TABLE silver.prices (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer        text NOT NULL CHECK (consumer IN ('realtime', 'batch')),
  event_id        text NOT NULL,
  symbol          text NOT NULL,
  base            text NOT NULL,
  quote           text NOT NULL,
  source          text NOT NULL,
  -- The event carries prices as JSON numbers (IEEE doubles): numeric would
  -- add no precision, and doubles aggregate faster in the rollups.
  price           double precision NOT NULL CHECK (price > 0),
  bid             double precision,
  ask             double precision,
  volume_24h      double precision,
  trade_id        bigint,
  event_time      timestamptz NOT NULL,  -- exchange time where the source has one
  fetched_at      timestamptz NOT NULL,  -- producer clock
  ingested_at     timestamptz NOT NULL,  -- Kinesis approximate arrival
  received_at     timestamptz NOT NULL,  -- handler start
  processed_at    timestamptz NOT NULL DEFAULT clock_timestamp(),  -- database clock at insert
  shard_id        text NOT NULL,
  sequence_number text NOT NULL,
  -- Redelivery and producer retries keep the event id, so they never add a row.
  CONSTRAINT prices_consumer_event_unique UNIQUE (consumer, event_id)
);

CREATE INDEX prices_consumer_processed_idx ON silver.prices (consumer, processed_at);
CREATE INDEX prices_symbol_event_time_idx ON silver.prices (symbol, event_time);

-- Records a consumer could not accept: kept byte for byte with the reason,
-- never retried, never blocking the shard.
CREATE TABLE silver.rejected_events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  consumer        text NOT NULL,
  shard_id        text NOT NULL,
  sequence_number text NOT NULL,
  partition_key   text,
  payload         bytea NOT NULL,
  reason          text NOT NULL,
  ingested_at     timestamptz,
  received_at     timestamptz NOT NULL,
  rejected_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT rejected_events_record_unique UNIQUE (consumer, shard_id, sequence_number)
);
