-- One price row (the per-record consumer). $1 consumer, then the event.
-- Returns the new row's end-to-end latency (no row for a duplicate).
INSERT INTO silver.prices (
  consumer, event_id, symbol, base, quote, source, price, bid, ask, volume_24h, trade_id,
  event_time, fetched_at, ingested_at, received_at, shard_id, sequence_number
) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
ON CONFLICT (consumer, event_id) DO NOTHING
RETURNING processed_at, (extract(epoch FROM processed_at - fetched_at) * 1000)::float8 AS latency_ms
