SELECT
  partition_date,
  COUNT(*) AS row_count,
  COUNT(*) AS judged_2,
  COUNT(CASE WHEN (
    order_id IS NULL
  ) THEN 1 END) AS unexpected_2,
  COUNT(*) AS judged_3,
  COUNT(CASE WHEN (
    customer_id IS NULL
  ) THEN 1 END) AS unexpected_3,
  COUNT(*) AS judged_4,
  COUNT(CASE WHEN (
    order_ts IS NULL
  ) THEN 1 END) AS unexpected_4,
  COUNT(*) AS judged_5,
  COUNT(CASE WHEN (
    amount IS NULL
  ) THEN 1 END) AS unexpected_5,
  COUNT(*) AS judged_6,
  COUNT(CASE WHEN (
    currency IS NULL
  ) THEN 1 END) AS unexpected_6,
  COUNT(CASE WHEN NOT order_id IS NULL THEN 1 END) AS judged_7,
  COUNT(
    CASE
      WHEN (
        NOT order_id IS NULL
      ) AND (
        orders_rows_with_same_7 > 1
      )
      THEN 1
    END
  ) AS unexpected_7,
  COUNT(CASE WHEN NOT order_ts_seconds_into_day IS NULL THEN 1 END) AS judged_8,
  COUNT(
    CASE
      WHEN (
        NOT order_ts_seconds_into_day IS NULL
      )
      AND (
        order_ts_seconds_into_day < 0 OR order_ts_seconds_into_day >= 86400
      )
      THEN 1
    END
  ) AS unexpected_8,
  COUNT(CASE WHEN NOT amount IS NULL THEN 1 END) AS judged_9,
  COUNT(
    CASE
      WHEN (
        NOT amount IS NULL
      ) AND (
        amount < 0 OR amount > 1000000
      )
      THEN 1
    END
  ) AS unexpected_9
FROM (
  SELECT
    day_rows.*,
    CASE
      WHEN quantity IS NULL OR unit_price IS NULL
      THEN NULL
      WHEN amount = 0
      THEN CASE WHEN quantity * unit_price = 0 THEN 0.0 ELSE CAST('inf' AS DOUBLE) END
      ELSE ABS(amount - quantity * unit_price) / ABS(amount)
    END AS amount_line_error,
    CAST(DATEDIFF(MILLISECOND, CAST(partition_date AS TIMESTAMPTZ), order_ts) AS DOUBLE) / 1000 AS order_ts_seconds_into_day,
    COUNT(*) OVER (PARTITION BY partition_date, order_id) AS orders_rows_with_same_7
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
GROUP BY
  partition_date
ORDER BY
  partition_date
