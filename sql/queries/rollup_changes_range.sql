-- Rollup (rebuild, backfill): rollup_changes.sql for a whole range at once.
-- Every bucket in [$1, $2) was recomputed or removed, so the rows whose
-- previous-bucket fields may change are the ones in the range and the first
-- one after it; one pass in bucket order per symbol (window over the primary
-- key), starting at the last bucket before the range, replaces a lookup per
-- bucket. Unchanged rows are left alone.
-- psql: \set gold_table gold.prices_10m
-- $1 from, $2 to (bucket-aligned).
WITH symbols AS (
  SELECT DISTINCT symbol FROM pg_temp.rollup_touched
), bounds AS (
  SELECT s.symbol,
         coalesce((SELECT max(g.bucket_start) FROM :gold_table g
                    WHERE g.symbol = s.symbol AND g.bucket_start < $1), '-infinity') AS lo,
         coalesce((SELECT min(g.bucket_start) FROM :gold_table g
                    WHERE g.symbol = s.symbol AND g.bucket_start >= $2), 'infinity') AS hi
    FROM symbols s
), computed AS (
  SELECT g.symbol, g.bucket_start,
         lag(g.bucket_start) OVER w AS prev_bucket_start,
         lag(g.close) OVER w AS prev_close,
         lag(g.avg_price) OVER w AS prev_avg_price
    FROM bounds b
    JOIN :gold_table g
      ON g.symbol = b.symbol AND g.bucket_start >= b.lo AND g.bucket_start <= b.hi
  WINDOW w AS (PARTITION BY g.symbol ORDER BY g.bucket_start)
)
UPDATE :gold_table g
   SET prev_bucket_start = c.prev_bucket_start,
       prev_close = c.prev_close,
       prev_avg_price = c.prev_avg_price,
       updated_at = now()
  FROM computed c
 WHERE g.symbol = c.symbol
   AND g.bucket_start = c.bucket_start
   AND c.bucket_start >= $1  -- the bucket before the range only served as a previous one
   AND (g.prev_bucket_start, g.prev_close, g.prev_avg_price)
       IS DISTINCT FROM (c.prev_bucket_start, c.prev_close, c.prev_avg_price)
