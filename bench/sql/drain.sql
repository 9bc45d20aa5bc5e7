-- How fast each consumer drained a backlog (trade ids $1..$2) that was on
-- the stream before its mapping started at $3: rows per second from $3 to
-- its last write.
SELECT consumer,
       count(*)::int AS records,
       extract(epoch FROM max(processed_at) - $3::timestamptz)::float8 AS seconds
  FROM silver.prices
 WHERE source = 'sim' AND trade_id BETWEEN $1 AND $2
 GROUP BY consumer;
