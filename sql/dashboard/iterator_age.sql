-- Dashboard "Iterator age per consumer", as the local runtime can tell it:
-- the largest wait between a record's arrival in Kinesis and the start of the
-- invocation that got it (received_at - ingested_at, ms) per bucket of
-- received_at. On AWS the widget shows Lambda's IteratorAge metric instead.
--   $1 since (timestamptz), $2 until (timestamptz), $3 bucket width in seconds
SELECT date_bin(make_interval(secs => $3::float8), received_at,
                timestamptz '1970-01-01 00:00:00+00') AS t,
       consumer || '-consumer' AS series,
       round(max(extract(epoch FROM received_at - ingested_at) * 1000)::numeric, 3)::float8 AS value
  FROM silver.prices
 WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz
 GROUP BY 1, 2
 ORDER BY 2 DESC, 1;
