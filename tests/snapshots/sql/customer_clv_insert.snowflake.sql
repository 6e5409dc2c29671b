INSERT INTO analytics.customer_clv (
  customer_id,
  as_of_date,
  horizon_months,
  expected_purchases,
  prob_alive,
  expected_avg_order_value,
  clv
)
SELECT
  customer_id,
  as_of_date,
  horizon_months,
  expected_purchases,
  prob_alive,
  order_value AS expected_avg_order_value,
  purchase_discount * order_value AS clv
FROM (
  SELECT
    metrics.customer_id,
    metrics.as_of_date,
    CAST(? AS BIGINT) AS horizon_months,
    histories.expected_purchases,
    histories.prob_alive,
    histories.purchase_discount,
    CASE
      WHEN metrics.frequency > 0
      THEN CAST(? AS DOUBLE) * (
        CAST(? AS DOUBLE) + metrics.frequency * (
          CASE WHEN metrics.monetary_value > 0 THEN metrics.monetary_value ELSE 0 END
        )
      ) / (
        CAST(? AS DOUBLE) * metrics.frequency + CAST(? AS DOUBLE) - 1
      )
      ELSE CAST(? AS DOUBLE)
    END AS order_value
  FROM analytics.customer_metrics AS metrics
  JOIN clv_histories AS histories
    ON histories.frequency = metrics.frequency
    AND histories.recency_days = metrics.recency_days
    AND histories.tenure_days = metrics.tenure_days
) AS scored
