-- The database's clock: report windows given as "the last 5 minutes" are
-- resolved against it, because processed_at is written by it too.
SELECT now() AS now;
