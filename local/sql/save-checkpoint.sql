INSERT INTO local_runtime.shard_checkpoints
  (mapping_id, shard_id, stream_arn, stream_created_at, sequence_number, at_timestamp, shard_finished)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (mapping_id, shard_id) DO UPDATE SET
  stream_arn = EXCLUDED.stream_arn,
  stream_created_at = EXCLUDED.stream_created_at,
  sequence_number = COALESCE(EXCLUDED.sequence_number, local_runtime.shard_checkpoints.sequence_number),
  at_timestamp = EXCLUDED.at_timestamp,
  shard_finished = EXCLUDED.shard_finished,
  updated_at = now();
