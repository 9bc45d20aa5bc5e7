-- Events one consumer has and the other lacks. The events considered are those
-- with a row in the window [$1, $2) for either consumer; an event is missing
-- from a consumer when that consumer has no row for it at all, so a batch row
-- written just after the window's end does not count as missing.
-- `recent` counts the missing events whose other row was written less than
-- 30 seconds before now(): the batch consumer waits up to its batching window
-- (15 s by default) before it writes, so those may still be in flight.
-- `examples` holds up to 5 missing event ids, oldest first.
--   $1 since (timestamptz), $2 until (timestamptz)
WITH seen AS (
  SELECT event_id, consumer, min(processed_at) AS processed_at
    FROM silver.prices
   WHERE processed_at >= $1::timestamptz AND processed_at < $2::timestamptz
   GROUP BY event_id, consumer
), missing AS (
  SELECT s.event_id,
         CASE s.consumer WHEN 'realtime' THEN 'batch' ELSE 'realtime' END AS missing_from,
         s.processed_at AS other_processed_at
    FROM seen s
   WHERE NOT EXISTS (
           SELECT 1 FROM silver.prices o
            WHERE o.event_id = s.event_id AND o.consumer <> s.consumer
         )
)
SELECT c.consumer AS missing_from,
       (SELECT count(DISTINCT event_id) FROM seen)::int AS events,
       count(m.event_id)::int AS missing,
       count(m.event_id) FILTER (WHERE m.other_processed_at >= now() - interval '30 seconds')::int
         AS recent,
       coalesce(
         (array_agg(m.event_id ORDER BY m.other_processed_at, m.event_id)
            FILTER (WHERE m.event_id IS NOT NULL))[1:5],
         '{}'
       ) AS examples
  FROM (VALUES (1, 'realtime'), (2, 'batch')) AS c(ord, consumer)
  LEFT JOIN missing m ON m.missing_from = c.consumer
 GROUP BY c.ord, c.consumer
 ORDER BY c.ord;
