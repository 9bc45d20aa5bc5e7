-- Rollup: the recomputed buckets into gold. A row whose values are all the
-- same is left alone (updated_at included), so re-running changes nothing.
-- psql: \set gold_table gold.prices_10m
WITH written AS (
  INSERT INTO :gold_table AS g (
    symbol, bucket_start, bucket_end, open, high, low, close, avg_price, price_stddev,
    avg_volume_24h, total_volume_24h, record_count, first_event_time, last_event_time,
    created_at, updated_at
  )
  SELECT f.symbol, f.bucket_start, f.bucket_end, f.open, f.high, f.low, f.close, f.avg_price,
         f.price_stddev, f.avg_volume_24h, f.total_volume_24h, f.record_count,
         f.first_event_time, f.last_event_time, now(), now()
    FROM pg_temp.rollup_fresh f
  ON CONFLICT (symbol, bucket_start) DO UPDATE
     SET bucket_end = excluded.bucket_end,
         open = excluded.open,
         high = excluded.high,
         low = excluded.low,
         close = excluded.close,
         avg_price = excluded.avg_price,
         price_stddev = excluded.price_stddev,
         avg_volume_24h = excluded.avg_volume_24h,
         total_volume_24h = excluded.total_volume_24h,
         record_count = excluded.record_count,
         first_event_time = excluded.first_event_time,
         last_event_time = excluded.last_event_time,
         updated_at = excluded.updated_at
   WHERE (g.bucket_end, g.open, g.high, g.low, g.close, g.avg_price, g.price_stddev,
          g.avg_volume_24h, g.total_volume_24h, g.record_count, g.first_event_time,
          g.last_event_time)
         IS DISTINCT FROM
         (excluded.bucket_end, excluded.open, excluded.high, excluded.low, excluded.close,
          excluded.avg_price, excluded.price_stddev, excluded.avg_volume_24h,
          excluded.total_volume_24h, excluded.record_count, excluded.first_event_time,
          excluded.last_event_time)
  -- xmax is 0 on a freshly inserted row version, the updater's id on an updated one.
  RETURNING g.xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted)::integer AS inserted,
       count(*) FILTER (WHERE NOT inserted)::integer AS updated
  FROM written
