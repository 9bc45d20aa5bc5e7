-- Rollup (rebuild, backfill): gold in [$1, $2) becomes exactly what silver
-- gives: buckets with no source row left there (another source consumer, purged
-- silver rows) go. Every recomputed or removed bucket is touched, so the
-- previous-bucket fields around it are recomputed next.
-- psql: \set gold_table gold.prices_10m
-- $1 from, $2 to (bucket-aligned).
WITH deleted AS (
  DELETE FROM :gold_table g
   WHERE g.bucket_start >= $1
     AND g.bucket_start < $2
     AND NOT EXISTS (
           SELECT 1 FROM pg_temp.rollup_fresh f
            WHERE f.symbol = g.symbol AND f.bucket_start = g.bucket_start)
  RETURNING g.symbol, g.bucket_start
), touched AS (
  INSERT INTO pg_temp.rollup_touched (symbol, bucket_start)
  SELECT symbol, bucket_start FROM deleted
  UNION ALL
  SELECT symbol, bucket_start FROM pg_temp.rollup_fresh
  RETURNING 1
)
SELECT (SELECT count(*) FROM deleted)::integer AS deleted,
       (SELECT count(*) FROM touched)::integer AS touched
