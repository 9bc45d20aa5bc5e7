-- Rollup: settings for this transaction only. $1 statement_timeout, $2
-- lock_timeout (both like '30s'; '0' = none). A rebuild reads every silver
-- row of the source consumer in one statement, so the pool's short default
-- statement timeout must not apply; work_mem keeps its aggregation in memory.
SELECT set_config('statement_timeout', $1, true),
       set_config('lock_timeout', $2, true),
       set_config('work_mem', '64MB', true),
       pg_backend_pid() AS pid
