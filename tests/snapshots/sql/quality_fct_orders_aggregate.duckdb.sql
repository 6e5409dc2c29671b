SELECT
  day_counts.partition_date,
  row_count,
  judged_2,
  unexpected_2,
  judged_3,
  unexpected_3,
  judged_4,
  unexpected_4,
  judged_5,
  unexpected_5,
  judged_6,
  unexpected_6,
  judged_7,
  COALESCE(duplicates_7.duplicated, 0) AS unexpected_7,
  judged_8,
  unexpected_8,
  judged_9,
  unexpected_9
FROM (
  SELECT
    partition_date,
    COUNT(*) AS row_count,
    COUNT(*) AS judged_2,
    COUNT(CASE WHEN order_id IS NULL THEN 1 END) AS unexpected_2,
    COUNT(*) AS judged_3,
    COUNT(CASE WHEN customer_id IS NULL THEN 1 END) AS unexpected_3,
    COUNT(*) AS judged_4,
    COUNT(CASE WHEN order_ts IS NULL THEN 1 END) AS unexpected_4,
    COUNT(*) AS judged_5,
    COUNT(CASE WHEN amount IS NULL THEN 1 END) AS unexpected_5,
    COUNT(*) AS judged_6,
    COUNT(CASE WHEN currency IS NULL THEN 1 END) AS unexpected_6,
    COUNT(CASE WHEN NOT order_id IS NULL THEN 1 END) AS judged_7,
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
      CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
    FROM warehouse.fct_orders AS day_rows
    WHERE
      partition_date BETWEEN ? AND ?
  ) AS day_batch
  GROUP BY
    partition_date
) AS day_counts
LEFT JOIN (
  SELECT
    partition_date,
    SUM(n) AS duplicated
  FROM (
    SELECT
      partition_date,
      order_id,
      COUNT(*) AS n
    FROM warehouse.fct_orders
    WHERE
      partition_date BETWEEN ? AND ? AND NOT order_id IS NULL
    GROUP BY
      partition_date,
      order_id
    HAVING
      COUNT(*) > 1
  ) AS repeated_values
  GROUP BY
    partition_date
) AS duplicates_7
  ON duplicates_7.partition_date = day_counts.partition_date
ORDER BY
  day_counts.partition_date
