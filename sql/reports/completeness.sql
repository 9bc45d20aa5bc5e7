-- Events one consumer has and the other lacks. The events considered are those
-- with a row in the window [$1, $2) for either consumer; an event is missing
-- from a consumer when that consumer has no row for it at all, so a batch row
-- written just after the window's end does not count as missing.
-- An event the consumer may still write is in flight, not missing: it reached
-- Kinesis (ingested_at) less than the consumer's in-flight time before now()
-- (its batching window, plus Lambda's poll and the write), so the consumer's
-- current window may not have closed yet.
-- `examples` holds up to 5 missing event ids, oldest first.
--   $1 since (timestamptz), $2 until (timestamptz),
--   $3 realtime in-flight seconds, $4 batch in-flight seconds (float8)
WITH seen AS (
  SELECT event_id, consumer, min(processed_at) AS processed_at, min(ingested_at) AS ingested_at
    FROM silver.prices
   WHERE processed_at >= $1::timestamptz AND processed_at < $2::timestamptz
   GROUP BY event_id, consumer
), absent AS (
  SELECT s.event_id,
         CASE s.consumer WHEN 'realtime' THEN 'batch' ELSE 'realtime' END AS missing_from,
         s.processed_at AS other_processed_at,
         s.ingested_at
    FROM seen s
   WHERE NOT EXISTS (
           SELECT 1 FROM silver.prices o
            WHERE o.event_id = s.event_id AND o.consumer <> s.consumer
         )
), classified AS (
  SELECT a.*,
         a.ingested_at >= now() - make_interval(secs => CASE a.missing_from
                                                           WHEN 'realtime' THEN $3::float8
                                                           ELSE $4::float8 END) AS in_flight
    FROM absent a
)
SELECT c.consumer AS missing_from,
       (SELECT count(DISTINCT event_id) FROM seen)::int AS events,
       count(m.event_id) FILTER (WHERE NOT m.in_flight)::int AS missing,
       count(m.event_id) FILTER (WHERE m.in_flight)::int AS in_flight,
       coalesce(
         (array_agg(m.event_id ORDER BY m.other_processed_at, m.event_id)
            FILTER (WHERE m.event_id IS NOT NULL AND NOT m.in_flight))[1:5],
         '{}'
       ) AS examples
  FROM (VALUES (1, 'realtime'), (2, 'batch')) AS c(ord, consumer)
  LEFT JOIN classified m ON m.missing_from = c.consumer
 GROUP BY c.ord, c.consumer
 ORDER BY c.ord;
