-- Gold layer: 10-minute and hourly OHLC rollups of one consumer's silver rows,
-- kept exact by the scheduled rollup (lambdas/shared/rollup.ts), and views
-- with the original report's table names and columns.
CREATE SCHEMA IF NOT EXISTS gold;

-- One row per (symbol, bucket). Buckets are aligned in UTC on the Unix epoch
-- by event time: [bucket_start, bucket_end). Rows are ordered by
-- (event_time, price, volume_24h) inside a bucket: open is the first, close
-- the last, and the float aggregates are summed in that order, so a
-- recomputation over the same rows gives bit-identical values whatever plan
-- PostgreSQL picks, and the rollup can leave unchanged rows untouched.
CREATE TABLE gold.prices_10m (
  id                bigint GENERATED ALWAYS AS IDENTITY,
  symbol            text NOT NULL,
  bucket_start      timestamptz NOT NULL,
  bucket_end        timestamptz NOT NULL,
  open              double precision NOT NULL,
  high              double precision NOT NULL,
  low               double precision NOT NULL,
  close             double precision NOT NULL,
  avg_price         double precision NOT NULL,
  price_stddev      double precision,           -- sample stddev; null for a single row
  avg_volume_24h    double precision,           -- null when no row carried a volume
  total_volume_24h  double precision,           -- sum of the rows' 24 h volumes (as the original report did)
  record_count      integer NOT NULL CHECK (record_count > 0),
  first_event_time  timestamptz NOT NULL,
  last_event_time   timestamptz NOT NULL,
  -- The previous bucket of this symbol that exists (gaps are skipped); null for the first.
  prev_bucket_start timestamptz,
  prev_close        double precision,
  prev_avg_price    double precision,
  change            double precision GENERATED ALWAYS AS (close - prev_close) STORED,
  change_pct        double precision
                    GENERATED ALWAYS AS (100 * (close - prev_close) / prev_close) STORED,
  avg_change        double precision GENERATED ALWAYS AS (avg_price - prev_avg_price) STORED,
  avg_change_pct    double precision
                    GENERATED ALWAYS AS (100 * (avg_price - prev_avg_price) / prev_avg_price) STORED,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),  -- last time any value of the row changed
  PRIMARY KEY (symbol, bucket_start),
  CHECK (bucket_end > bucket_start),
  CHECK (low <= open AND open <= high AND low <= close AND close <= high),
  CHECK (first_event_time >= bucket_start AND last_event_time < bucket_end)
);

COMMENT ON TABLE gold.prices_10m IS
  '10-minute OHLC buckets by event time (UTC), one source consumer; written by the rollup';
COMMENT ON COLUMN gold.prices_10m.change IS 'close minus the previous existing bucket''s close';
COMMENT ON COLUMN gold.prices_10m.change_pct IS 'change as a percentage of the previous close';
COMMENT ON COLUMN gold.prices_10m.avg_change IS
  'avg_price minus the previous existing bucket''s avg_price (the original report''s price_change)';

CREATE TABLE gold.prices_1h (LIKE gold.prices_10m INCLUDING ALL);
COMMENT ON TABLE gold.prices_1h IS
  'Hourly OHLC buckets by event time (UTC), one source consumer; written by the rollup';

ALTER TABLE gold.prices_10m ADD CHECK (bucket_end = bucket_start + interval '10 minutes');
ALTER TABLE gold.prices_1h ADD CHECK (bucket_end = bucket_start + interval '1 hour');

-- The views filter and sort on the UTC wall time; the primary key serves the rollup.
CREATE INDEX prices_10m_window_start_idx ON gold.prices_10m ((bucket_start AT TIME ZONE 'UTC'));
CREATE INDEX prices_1h_hour_timestamp_idx ON gold.prices_1h ((bucket_start AT TIME ZONE 'UTC'));

-- Where each granularity's incremental rollup resumes: silver rows processed at
-- or after high_water are re-read by the next run (see lambdas/shared/rollup.ts
-- for why the mark trails the clock).
CREATE TABLE gold.rollup_state (
  granularity      text PRIMARY KEY CHECK (granularity IN ('10m', '1h')),
  source_consumer  text NOT NULL CHECK (source_consumer IN ('realtime', 'batch')),
  high_water       timestamptz NOT NULL,
  last_run_at      timestamptz NOT NULL,
  last_recomputed  integer NOT NULL,
  last_written     integer NOT NULL
);

-- The rollup reads one consumer's rows bucket by bucket, in this order. With
-- the hour and 10-minute buckets as key columns, a full rebuild is one
-- index-only scan feeding a streaming GroupAggregate (no sort), and an
-- incremental run reads each touched bucket as one short index range. The
-- expressions must stay exactly as the rollup queries write them.
CREATE INDEX prices_rollup_idx ON silver.prices (
  consumer,
  symbol,
  date_bin('1 hour', event_time, timestamptz '1970-01-01 00:00:00+00'),
  date_bin('10 minutes', event_time, timestamptz '1970-01-01 00:00:00+00'),
  event_time,
  price,
  volume_24h
);

-- ---------------------------------------------------------------------------
-- The original report's tables, as views (public schema), so SQL and
-- dashboards written for it run unchanged. Times are UTC wall times
-- (timestamp without time zone), as the original stored them.
-- ---------------------------------------------------------------------------

-- The per-event stream processor's rows (Flink then; our realtime consumer now).
-- "timestamp" is the fetch time in whole epoch seconds. "iteration" is the
-- producer's tick number: whole 10-second periods (the default poll interval)
-- since the Unix epoch at fetch time, so the symbols fetched in one tick share it
-- and it grows by one per tick.
CREATE VIEW public.crypto_prices_flink AS
SELECT id,
       floor(extract(epoch FROM fetched_at))::bigint AS "timestamp",
       symbol,
       base,
       quote AS currency,
       price,
       volume_24h,
       source,
       floor(extract(epoch FROM fetched_at) / 10)::integer AS iteration,
       processed_at AT TIME ZONE 'UTC' AS processed_at
  FROM silver.prices
 WHERE consumer = 'realtime';

-- The micro-batch processor's rows (Spark Structured Streaming then, which the
-- original wrote to a table of this name; our batch consumer now).
CREATE VIEW public.crypto_prices_realtime AS
SELECT id,
       floor(extract(epoch FROM fetched_at))::bigint AS "timestamp",
       symbol,
       base,
       quote AS currency,
       price,
       volume_24h,
       source,
       floor(extract(epoch FROM fetched_at) / 10)::integer AS iteration,
       processed_at AT TIME ZONE 'UTC' AS processed_at
  FROM silver.prices
 WHERE consumer = 'batch';

-- created_at is when the row's current values were written (the original wrote
-- each row once, so its created_at was that moment too).
CREATE VIEW public.gold_10min_metrics AS
SELECT id,
       bucket_start AT TIME ZONE 'UTC' AS window_start,
       bucket_end AT TIME ZONE 'UTC' AS window_end,
       symbol,
       avg_price,
       low AS min_price,
       high AS max_price,
       price_stddev AS price_volatility,
       total_volume_24h AS total_volume,
       avg_volume_24h AS avg_volume,
       record_count,
       updated_at AT TIME ZONE 'UTC' AS created_at
  FROM gold.prices_10m;

-- price_change and price_change_percent compare the hour's average price with
-- the previous existing hour's average price, as the original defined them.
CREATE VIEW public.gold_hourly_metrics AS
SELECT id,
       bucket_start AT TIME ZONE 'UTC' AS hour_timestamp,
       symbol,
       avg_price,
       low AS min_price,
       high AS max_price,
       open AS opening_price,
       close AS closing_price,
       avg_change AS price_change,
       avg_change_pct AS price_change_percent,
       total_volume_24h AS total_volume,
       avg_volume_24h AS avg_volume,
       record_count,
       updated_at AT TIME ZONE 'UTC' AS created_at
  FROM gold.prices_1h;
