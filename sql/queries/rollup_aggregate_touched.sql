-- Rollup (incremental): the touched buckets recomputed from all their silver
-- rows, old and new. Same aggregates, in the same row order, as
-- rollup_aggregate_range.sql (see there); each bucket is one short range of
-- silver.prices_rollup_idx.
-- psql: \set bucket_width '10 minutes'   (or '1 hour')
-- $1 source consumer.
INSERT INTO pg_temp.rollup_fresh
SELECT symbol, bucket_start, bucket_start + :'bucket_width'::interval,
       prices[1], high, low, prices[record_count],
       avg_price, price_stddev, avg_volume_24h, total_volume_24h, record_count,
       first_event_time, last_event_time
  FROM (
    SELECT p.symbol,
           date_bin(:'bucket_width', p.event_time, timestamptz '1970-01-01 00:00:00+00') AS bucket_start,
           array_agg(p.price ORDER BY date_bin('10 minutes', p.event_time, timestamptz '1970-01-01 00:00:00+00'),
                     p.event_time, p.price, p.volume_24h) AS prices,
           max(p.price) AS high,
           min(p.price) AS low,
           avg(p.price ORDER BY date_bin('10 minutes', p.event_time, timestamptz '1970-01-01 00:00:00+00'),
               p.event_time, p.price, p.volume_24h) AS avg_price,
           stddev_samp(p.price ORDER BY date_bin('10 minutes', p.event_time, timestamptz '1970-01-01 00:00:00+00'),
                       p.event_time, p.price, p.volume_24h) AS price_stddev,
           avg(p.volume_24h ORDER BY date_bin('10 minutes', p.event_time, timestamptz '1970-01-01 00:00:00+00'),
               p.event_time, p.price, p.volume_24h) AS avg_volume_24h,
           sum(p.volume_24h ORDER BY date_bin('10 minutes', p.event_time, timestamptz '1970-01-01 00:00:00+00'),
               p.event_time, p.price, p.volume_24h) AS total_volume_24h,
           count(*)::integer AS record_count,
           min(p.event_time) AS first_event_time,
           max(p.event_time) AS last_event_time
      FROM pg_temp.rollup_touched t
      JOIN silver.prices p
        ON p.consumer = $1
       AND p.symbol = t.symbol
       AND date_bin('1 hour', p.event_time, timestamptz '1970-01-01 00:00:00+00')
         = date_bin('1 hour', t.bucket_start, timestamptz '1970-01-01 00:00:00+00')
       AND date_bin(:'bucket_width', p.event_time, timestamptz '1970-01-01 00:00:00+00') = t.bucket_start
     GROUP BY p.symbol,
              date_bin('1 hour', p.event_time, timestamptz '1970-01-01 00:00:00+00'),
              date_bin(:'bucket_width', p.event_time, timestamptz '1970-01-01 00:00:00+00')
  ) AS b
