-- Dashboard "Gold hourly change % per symbol": price_change_percent of
-- gold_hourly_metrics for the hours overlapping the window [$1, $2), one
-- series per symbol. The first hour of a symbol has no change (null).
--   $1 since (timestamptz), $2 until (timestamptz)
SELECT hour_timestamp AT TIME ZONE 'UTC' AS t,
       symbol AS series,
       round(price_change_percent::numeric, 4)::float8 AS value
  FROM public.gold_hourly_metrics
 WHERE hour_timestamp > ($1::timestamptz AT TIME ZONE 'UTC') - interval '1 hour'
   AND hour_timestamp < ($2::timestamptz AT TIME ZONE 'UTC')
 ORDER BY symbol, hour_timestamp;
