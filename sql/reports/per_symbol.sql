-- Records and price statistics per symbol and consumer, for the rows
-- processed in the window [$1, $2).
--   $1 since (timestamptz), $2 until (timestamptz)
SELECT symbol,
       consumer,
       count(*)::int AS records,
       avg(price) AS avg_price,
       min(price) AS min_price,
       max(price) AS max_price
  FROM silver.prices
 WHERE processed_at >= $1::timestamptz AND processed_at < $2::timestamptz
 GROUP BY symbol, consumer
 ORDER BY symbol, consumer DESC;
