SELECT
  partition_date,
  COUNT(*) AS raw_rows,
  COUNT(CASE WHEN is_current THEN 1 END) AS cleaned_rows,
  COUNT(reason_code) AS quarantined_rows,
  COUNT(CASE WHEN NOT is_current THEN 1 END) AS superseded_rows,
  COUNT(CASE WHEN reason_code IS NULL AND is_naive THEN 1 END) AS naive_timestamp_rows,
  CAST(COALESCE(SUM(CAST(CASE WHEN is_current THEN v_amount END AS DECIMAL(38, 12))), 0) AS DOUBLE) AS cleaned_revenue,
  CAST(COALESCE(SUM(CAST(CASE WHEN NOT is_current THEN v_amount END AS DECIMAL(38, 12))), 0) AS DOUBLE) AS superseded_revenue,
  COUNT(DISTINCT CASE WHEN is_current THEN t_customer_id END) AS distinct_customers
FROM orders_classified
GROUP BY
  partition_date
ORDER BY
  partition_date
