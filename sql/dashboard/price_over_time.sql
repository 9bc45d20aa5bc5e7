-- Dashboard "Price per symbol over time, per consumer": average price per
-- bucket of event time, one panel per symbol, one series per consumer.
--   $1 since (timestamptz), $2 until (timestamptz), $3 bucket width in seconds
-- Buckets are aligned on the Unix epoch, so consecutive refreshes agree.
SELECT date_bin(make_interval(secs => $3::float8), event_time,
                timestamptz '1970-01-01 00:00:00+00') AS t,
       symbol AS panel,
       consumer AS series,
       avg(price) AS value
  FROM silver.prices
 WHERE event_time >= $1::timestamptz AND event_time < $2::timestamptz
 GROUP BY 1, 2, 3
 ORDER BY 2, 3 DESC, 1;
