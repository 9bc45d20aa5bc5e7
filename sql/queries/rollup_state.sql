-- Rollup: where the incremental run of one granularity resumes. $1 granularity.
SELECT source_consumer, high_water
  FROM gold.rollup_state
 WHERE granularity = $1
