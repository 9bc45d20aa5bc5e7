-- The first row processed in [$1, $2), either consumer: where the reports'
-- default range starts when the pipeline has run for less than the lookback.
--   $1 since (timestamptz), $2 until (timestamptz)
SELECT min(processed_at) AS first_row_at
  FROM silver.prices
 WHERE processed_at >= $1::timestamptz AND processed_at < $2::timestamptz;
