-- npm run soak: end-to-end latency (processed_at - fetched_at, ms) per consumer
-- of the numbered events processed in [$1, $2). $3: their event id prefix.
SELECT consumer,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) AS p95
FROM (
  SELECT consumer, extract(epoch FROM processed_at - fetched_at) * 1000 AS ms
  FROM silver.prices
  WHERE processed_at >= $1 AND processed_at < $2 AND event_id LIKE $3
) AS latency
GROUP BY consumer;
