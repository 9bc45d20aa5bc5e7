-- Rows that share consumer and event_id with another row, among the rows
-- processed in the window [$1, $2): rows beyond the first of each event.
-- The unique key (consumer, event_id) should keep this at 0; the report
-- shows what the table actually holds.
--   $1 since (timestamptz), $2 until (timestamptz)
SELECT c.consumer,
       coalesce(count(p.id) - count(DISTINCT p.event_id), 0)::int AS duplicate_rows
  FROM (VALUES (1, 'realtime'), (2, 'batch')) AS c(ord, consumer)
  LEFT JOIN silver.prices p
         ON p.consumer = c.consumer
        AND p.processed_at >= $1::timestamptz AND p.processed_at < $2::timestamptz
 GROUP BY c.ord, c.consumer
 ORDER BY c.ord;
