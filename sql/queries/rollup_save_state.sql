-- Rollup: the mark the next incremental run resumes from, moved only when the
-- whole run commits. $1 granularity, $2 source consumer, $3 high-water mark,
-- $4 buckets recomputed, $5 gold rows written.
INSERT INTO gold.rollup_state AS s (
  granularity, source_consumer, high_water, last_run_at, last_recomputed, last_written
) VALUES ($1, $2, $3, now(), $4, $5)
ON CONFLICT (granularity) DO UPDATE
   SET source_consumer = excluded.source_consumer,
       high_water = excluded.high_water,
       last_run_at = excluded.last_run_at,
       last_recomputed = excluded.last_recomputed,
       last_written = excluded.last_written
