INSERT INTO local_runtime.dead_letters
  (mapping_id, function_name, destination_arn, stream_arn, shard_id,
   start_sequence_number, end_sequence_number, batch_size, first_arrival, last_arrival,
   reason, error, attempts, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
RETURNING id;
