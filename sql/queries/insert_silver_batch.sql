-- A whole batch in one statement (the batched consumer): its rejected records
-- and its price rows, atomically. $1 consumer; $2–$8 rejected columns;
-- $9–$24 price columns, one array per column. Returns the counts and the
-- end-to-end latency (processed_at - fetched_at, ms) of each row written.
WITH rejected AS (
  INSERT INTO silver.rejected_events (
    consumer, shard_id, sequence_number, partition_key, payload, reason, ingested_at, received_at
  )
  SELECT $1, r.*
  FROM unnest(
    $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::timestamptz[], $8::timestamptz[]
  ) AS r
  ON CONFLICT (consumer, shard_id, sequence_number) DO NOTHING
  RETURNING 1
), written AS (
  INSERT INTO silver.prices (
    consumer, event_id, symbol, base, quote, source, price, bid, ask, volume_24h, trade_id,
    event_time, fetched_at, ingested_at, received_at, shard_id, sequence_number
  )
  SELECT $1, p.*
  FROM unnest(
    $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::float8[], $15::float8[],
    $16::float8[], $17::float8[], $18::int8[], $19::timestamptz[], $20::timestamptz[],
    $21::timestamptz[], $22::timestamptz[], $23::text[], $24::text[]
  ) AS p
  ON CONFLICT (consumer, event_id) DO NOTHING
  RETURNING (extract(epoch FROM processed_at - fetched_at) * 1000)::float8 AS latency_ms
)
SELECT (SELECT count(*) FROM written)::int AS written,
       (SELECT count(*) FROM rejected)::int AS rejected,
       (SELECT coalesce(array_agg(latency_ms), '{}') FROM written) AS latencies_ms
