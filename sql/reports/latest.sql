-- The 5 latest rows of each consumer in the window [$1, $2), newest first,
-- with their end-to-end latency (processed_at - fetched_at) in milliseconds.
--   $1 since (timestamptz), $2 until (timestamptz)
SELECT c.consumer, l.event_id, l.symbol, l.price, l.fetched_at, l.processed_at, l.latency_ms
  FROM (VALUES (1, 'realtime'), (2, 'batch')) AS c(ord, consumer)
 CROSS JOIN LATERAL (
         SELECT p.event_id, p.symbol, p.price, p.fetched_at, p.processed_at,
                round(extract(epoch FROM p.processed_at - p.fetched_at) * 1000, 3)::float8
                  AS latency_ms
           FROM silver.prices p
          WHERE p.consumer = c.consumer
            AND p.processed_at >= $1::timestamptz AND p.processed_at < $2::timestamptz
          ORDER BY p.processed_at DESC, p.id DESC
          LIMIT 5
       ) AS l
 ORDER BY c.ord, l.processed_at DESC;
