-- Every row one study setting wrote: consumer $3, the events of trade ids
-- $1..$2 (source 'sim'), with the end-to-end latency (processed_at -
-- fetched_at, ms), its parts, the write time (epoch ms), and the inserting
-- transaction (xmin): each INSERT commits on its own, so distinct xmin
-- values count the statements that wrote the rows.
SELECT (extract(epoch FROM processed_at - fetched_at) * 1000)::float8 AS latency_ms,
       (extract(epoch FROM ingested_at - fetched_at) * 1000)::float8 AS put_ms,
       (extract(epoch FROM received_at - ingested_at) * 1000)::float8 AS wait_ms,
       (extract(epoch FROM processed_at - received_at) * 1000)::float8 AS write_ms,
       (extract(epoch FROM processed_at) * 1000)::float8 AS processed_ms,
       xmin::text AS xact
  FROM silver.prices
 WHERE source = 'sim' AND consumer = $3 AND trade_id BETWEEN $1 AND $2
 ORDER BY processed_at;
