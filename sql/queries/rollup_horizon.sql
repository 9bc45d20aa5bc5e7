-- Rollup: the next high-water mark, read before any silver row is.
--
-- processed_at is the database clock at insert, not at commit: a consumer
-- transaction can commit a row whose processed_at is earlier than a moment a
-- rollup already read past. Every such transaction holds a write lock on
-- silver.prices from before it evaluates processed_at until it commits, and
-- its rows' processed_at are not earlier than its xact_start. So the mark is
-- the earliest xact_start of the transactions holding a write lock on
-- silver.prices now, or now if there are none: every row processed before it
-- is committed by the time this statement returns, so the next run misses
-- nothing, and a long transaction only holds the mark back. A holder whose
-- start we may not see (another role without pg_read_all_stats, a prepared
-- transaction) keeps the previous mark. $2 is a small overlap re-read every
-- run, against clock steps; re-reading is safe because recomputing a bucket
-- is idempotent.
--
-- $1 the previous mark ('-infinity' for none), $2 overlap (interval).
SELECT least(statement_timestamp(), min(coalesce(a.xact_start, $1::timestamptz)))
         - $2::interval AS high_water
  FROM pg_locks l
  LEFT JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'relation'
   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
   AND l.relation = 'silver.prices'::regclass
   AND l.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
   AND l.granted
   AND l.pid IS DISTINCT FROM pg_backend_pid()
