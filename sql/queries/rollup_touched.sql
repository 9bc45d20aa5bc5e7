-- Rollup (incremental): the buckets of the silver rows processed since the
-- mark, whatever their event time, so a late row reopens its old bucket.
-- psql: \set gold_table gold.prices_10m  \set bucket_width '10 minutes'
-- $1 source consumer, $2 high-water mark.
INSERT INTO pg_temp.rollup_touched (symbol, bucket_start)
SELECT DISTINCT p.symbol,
       date_bin(:'bucket_width', p.event_time, timestamptz '1970-01-01 00:00:00+00')
  FROM silver.prices p
 WHERE p.consumer = $1
   AND p.processed_at >= $2
