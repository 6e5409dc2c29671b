SELECT
  COUNT(*) AS customers,
  COALESCE(SUM(CASE WHEN frequency > 0 THEN 1 ELSE 0 END), 0) AS repeat_customers,
  CAST(COALESCE(SUM(CAST(total_revenue AS DECIMAL(38, 12))), 0) AS DOUBLE) AS total_revenue
FROM analytics.customer_metrics
