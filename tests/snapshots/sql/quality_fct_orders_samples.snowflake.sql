SELECT
  order_id
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    order_id IS NULL
  )
ORDER BY
  order_id
LIMIT 5;

SELECT
  customer_id
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    customer_id IS NULL
  )
ORDER BY
  customer_id
LIMIT 5;

SELECT
  order_ts
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    order_ts IS NULL
  )
ORDER BY
  order_ts
LIMIT 5;

SELECT
  amount
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    amount IS NULL
  )
ORDER BY
  amount
LIMIT 5;

SELECT
  currency
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    currency IS NULL
  )
ORDER BY
  currency
LIMIT 5;

SELECT
  order_id
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day,
    COUNT(*) OVER (PARTITION BY partition_date, order_id) AS orders_rows_with_same_7
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT order_id IS NULL
  ) AND (
    orders_rows_with_same_7 > 1
  )
ORDER BY
  order_id
LIMIT 5;

SELECT
  order_ts_seconds_into_day
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT order_ts_seconds_into_day IS NULL
  )
  AND (
    order_ts_seconds_into_day < 0 OR order_ts_seconds_into_day >= 86400
  )
ORDER BY
  order_ts_seconds_into_day
LIMIT 5;

SELECT
  amount
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT amount IS NULL
  ) AND (
    amount < 0 OR amount > 1000000
  )
ORDER BY
  amount
LIMIT 5
