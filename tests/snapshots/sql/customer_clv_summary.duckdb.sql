SELECT
  COUNT(*) AS scored,
  (
    SELECT
      COUNT(*)
    FROM analytics.customer_metrics
  ) AS metrics_rows,
  CAST(COALESCE(SUM(CAST(CASE WHEN ISFINITE(clv) THEN clv END AS DECIMAL(38, 12))), 0) AS DOUBLE) AS clv_total,
  CAST(COALESCE(
    SUM(CAST(CASE WHEN ISFINITE(prob_alive) THEN prob_alive END AS DECIMAL(38, 12))),
    0
  ) AS DOUBLE) AS prob_alive_total,
  COALESCE(
    SUM(
      CASE
        WHEN ISFINITE(clv)
        AND clv >= 0
        AND ISFINITE(expected_purchases)
        AND expected_purchases >= 0
        AND ISFINITE(expected_avg_order_value)
        AND expected_avg_order_value >= 0
        THEN 0
        ELSE 1
      END
    ),
    0
  ) AS bad_scores,
  MIN(clv) AS min_clv,
  COALESCE(
    SUM(
      CASE
        WHEN prob_alive >= 0 AND prob_alive <= 1 AND ISFINITE(prob_alive)
        THEN 0
        ELSE 1
      END
    ),
    0
  ) AS bad_prob_alive,
  MIN(CASE WHEN ISFINITE(prob_alive) THEN prob_alive END) AS min_prob_alive,
  MAX(CASE WHEN ISFINITE(prob_alive) THEN prob_alive END) AS max_prob_alive,
  COUNT(*) - COUNT(customer_id) AS missing_customer_id,
  COUNT(*) - COUNT(as_of_date) AS missing_as_of_date,
  COUNT(*) - COUNT(horizon_months) AS missing_horizon_months,
  COALESCE(SUM(CASE WHEN ISFINITE(expected_purchases) THEN 0 ELSE 1 END), 0) AS missing_expected_purchases,
  COALESCE(SUM(CASE WHEN ISFINITE(prob_alive) THEN 0 ELSE 1 END), 0) AS missing_prob_alive,
  COALESCE(SUM(CASE WHEN ISFINITE(expected_avg_order_value) THEN 0 ELSE 1 END), 0) AS missing_expected_avg_order_value,
  COALESCE(SUM(CASE WHEN ISFINITE(clv) THEN 0 ELSE 1 END), 0) AS missing_clv
FROM analytics.customer_clv
