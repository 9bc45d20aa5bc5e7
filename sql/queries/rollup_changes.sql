-- Rollup: change against the previous existing bucket of the symbol. A bucket's
-- previous-bucket fields depend on the bucket just before it only, so the rows
-- to recompute are the touched buckets and, for each, the next existing
-- bucket: a late row that changes an old bucket's close, or a new bucket in a
-- gap, corrects the following bucket's change too. Unchanged rows are left alone.
-- psql: \set gold_table gold.prices_10m
WITH affected AS (
  SELECT t.symbol, t.bucket_start
    FROM pg_temp.rollup_touched t
  UNION
  SELECT n.symbol, n.bucket_start
    FROM pg_temp.rollup_touched t
   CROSS JOIN LATERAL (
         SELECT g.symbol, g.bucket_start
           FROM :gold_table g
          WHERE g.symbol = t.symbol AND g.bucket_start > t.bucket_start
          ORDER BY g.bucket_start
          LIMIT 1) AS n
), computed AS (
  SELECT a.symbol, a.bucket_start,
         p.bucket_start AS prev_bucket_start, p.close AS prev_close, p.avg_price AS prev_avg_price
    FROM affected a
    LEFT JOIN LATERAL (
         SELECT g.bucket_start, g.close, g.avg_price
           FROM :gold_table g
          WHERE g.symbol = a.symbol AND g.bucket_start < a.bucket_start
          ORDER BY g.bucket_start DESC
          LIMIT 1) AS p ON true
)
UPDATE :gold_table g
   SET prev_bucket_start = c.prev_bucket_start,
       prev_close = c.prev_close,
       prev_avg_price = c.prev_avg_price,
       updated_at = now()
  FROM computed c
 WHERE g.symbol = c.symbol
   AND g.bucket_start = c.bucket_start
   AND (g.prev_bucket_start, g.prev_close, g.prev_avg_price)
       IS DISTINCT FROM (c.prev_bucket_start, c.prev_close, c.prev_avg_price)
