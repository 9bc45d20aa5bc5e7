-- Rows written so far per consumer of the events with trade ids $1..$2.
SELECT consumer, count(*)::int AS n
  FROM silver.prices
 WHERE source = 'sim' AND trade_id BETWEEN $1 AND $2
 GROUP BY consumer;
