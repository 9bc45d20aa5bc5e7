-- Dashboard "Latest price per symbol": the newest row (by event time) of each
-- symbol among the rows processed in the window [$1, $2), whichever consumer
-- wrote it, and its age against the database clock in seconds.
--   $1 since (timestamptz), $2 until (timestamptz)
SELECT DISTINCT ON (symbol)
       symbol, price, bid, ask, consumer, event_time, processed_at,
       round(extract(epoch FROM now() - event_time)::numeric, 1)::float8 AS age_s
  FROM silver.prices
 WHERE processed_at >= $1::timestamptz AND processed_at < $2::timestamptz
 ORDER BY symbol, event_time DESC, processed_at DESC;
