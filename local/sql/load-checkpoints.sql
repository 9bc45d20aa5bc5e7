SELECT shard_id, stream_created_at, sequence_number, arrived_at, at_timestamp, shard_finished
FROM local_runtime.shard_checkpoints
WHERE mapping_id = $1;
