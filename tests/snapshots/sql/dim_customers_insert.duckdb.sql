INSERT INTO warehouse.dim_customers (
  customer_id,
  order_count,
  frequency,
  recency_days,
  tenure_days,
  monetary_value,
  total_revenue,
  first_order_date,
  last_order_date,
  as_of_date,
  expected_purchases,
  prob_alive,
  expected_avg_order_value,
  clv,
  clv_horizon_months,
  clv_as_of_date
)
SELECT
  metrics.customer_id,
  metrics.order_count,
  metrics.frequency,
  metrics.recency_days,
  metrics.tenure_days,
  metrics.monetary_value,
  metrics.total_revenue,
  metrics.first_order_date,
  metrics.last_order_date,
  metrics.as_of_date,
  scores.expected_purchases AS expected_purchases,
  scores.prob_alive AS prob_alive,
  scores.expected_avg_order_value AS expected_avg_order_value,
  scores.clv AS clv,
  scores.horizon_months AS clv_horizon_months,
  scores.as_of_date AS clv_as_of_date
FROM analytics.customer_metrics AS metrics
LEFT JOIN analytics.customer_clv AS scores
  ON scores.customer_id = metrics.customer_id
