SELECT
  COUNT(*) AS customers,
  COALESCE(SUM(CASE WHEN frequency > 0 THEN 1 ELSE 0 END), 0) AS repeat_customers,
  CAST(COALESCE(SUM(CAST(total_revenue AS DECIMAL(38, 12))), 0) AS DOUBLE) AS total_revenue,
  COUNT(clv) AS customers_with_clv,
  (
    SELECT
      COUNT(*)
    FROM analytics.customer_metrics
  ) AS metrics_rows
FROM warehouse.dim_customers
