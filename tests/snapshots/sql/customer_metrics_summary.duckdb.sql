SELECT
  COUNT(*) AS customers,
  COALESCE(SUM(CASE WHEN frequency > 0 THEN 1 ELSE 0 END), 0) AS repeat_customers,
  COALESCE(SUM(total_revenue), 0) AS total_revenue
FROM analytics.customer_metrics
