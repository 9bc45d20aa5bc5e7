-- Rollup: one run per granularity at a time (a slow run and the next
-- schedule queue up here instead of interleaving). Released at commit or
-- rollback. $1 the granularity's lock number (10 or 60).
SELECT pg_advisory_xact_lock(727274002, $1)
