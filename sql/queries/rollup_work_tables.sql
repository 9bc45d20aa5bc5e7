-- Rollup: the run's working sets, dropped at commit or rollback.
-- rollup_touched: the buckets whose values or previous-bucket fields may change;
-- rollup_fresh: those buckets recomputed from silver.
CREATE TEMP TABLE rollup_touched (
  symbol       text NOT NULL,
  bucket_start timestamptz NOT NULL
) ON COMMIT DROP;
CREATE TEMP TABLE rollup_fresh (
  symbol           text NOT NULL,
  bucket_start     timestamptz NOT NULL,
  bucket_end       timestamptz NOT NULL,
  open             double precision NOT NULL,
  high             double precision NOT NULL,
  low              double precision NOT NULL,
  close            double precision NOT NULL,
  avg_price        double precision NOT NULL,
  price_stddev     double precision,
  avg_volume_24h   double precision,
  total_volume_24h double precision,
  record_count     integer NOT NULL,
  first_event_time timestamptz NOT NULL,
  last_event_time  timestamptz NOT NULL
) ON COMMIT DROP;
