-- Rollup (rebuild, backfill): every bucket of the source consumer's rows with
-- event_time in [$2, $3) (bucket-aligned), recomputed from silver.
-- psql: \set bucket_width '10 minutes'   (or '1 hour')
-- $1 source consumer, $2 from, $3 to.
--
-- Rows are taken in (event_time, price, volume_24h) order: open is the first,
-- close the last, and the float sums run in that order, so the same rows
-- always give bit-identical values. Grouping by the hour bucket as well, and
-- ordering by the 10-minute bucket first (the same order, since buckets grow
-- with event_time), matches silver.prices_rollup_idx: an index-only scan
-- streams into the aggregate with no sort.
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
      FROM silver.prices p
     WHERE p.consumer = $1
       AND p.event_time >= $2
       AND p.event_time < $3
     GROUP BY p.symbol,
              date_bin('1 hour', p.event_time, timestamptz '1970-01-01 00:00:00+00'),
              date_bin(:'bucket_width', p.event_time, timestamptz '1970-01-01 00:00:00+00')
  ) AS b
