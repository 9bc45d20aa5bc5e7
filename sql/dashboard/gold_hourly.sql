-- Dashboard "Gold hourly average and change": the latest hour of each symbol
-- among the hours overlapping the window [$1, $2), from the original report's
-- view gold_hourly_metrics (UTC wall times). change_pct compares the hour's
-- average price with the previous existing hour's.
--   $1 since (timestamptz), $2 until (timestamptz)
SELECT DISTINCT ON (symbol)
       symbol,
       hour_timestamp AT TIME ZONE 'UTC' AS hour,
       avg_price,
       price_change_percent AS change_pct,
       min_price,
       max_price,
       record_count
  FROM public.gold_hourly_metrics
 WHERE hour_timestamp > ($1::timestamptz AT TIME ZONE 'UTC') - interval '1 hour'
   AND hour_timestamp < ($2::timestamptz AT TIME ZONE 'UTC')
 ORDER BY symbol, hour_timestamp DESC;
