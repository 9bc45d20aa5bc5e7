-- Rejected records of one invocation. $1 consumer, then one array per column.
INSERT INTO silver.rejected_events (
  consumer, shard_id, sequence_number, partition_key, payload, reason, ingested_at, received_at
)
SELECT $1, r.*
FROM unnest(
  $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::timestamptz[], $8::timestamptz[]
) AS r
ON CONFLICT (consumer, shard_id, sequence_number) DO NOTHING
