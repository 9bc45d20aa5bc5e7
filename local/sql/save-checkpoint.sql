-- A finished shard keeps what it had: whether records were read
-- (sequence_number) and when a LATEST start began (at_timestamp); its
-- children start from them.
INSERT INTO local_runtime.shard_checkpoints
  (mapping_id, shard_id, stream_arn, stream_created_at, sequence_number, at_timestamp,
   shard_finished, arrived_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (mapping_id, shard_id) DO UPDATE SET
  stream_arn = EXCLUDED.stream_arn,
  stream_created_at = EXCLUDED.stream_created_at,
  sequence_number = COALESCE(EXCLUDED.sequence_number, local_runtime.shard_checkpoints.sequence_number),
  arrived_at = COALESCE(EXCLUDED.arrived_at, local_runtime.shard_checkpoints.arrived_at),
  at_timestamp = CASE
    WHEN EXCLUDED.shard_finished THEN local_runtime.shard_checkpoints.at_timestamp
    ELSE EXCLUDED.at_timestamp
  END,
  shard_finished = EXCLUDED.shard_finished,
  updated_at = EXCLUDED.updated_at;
