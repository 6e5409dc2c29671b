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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day,
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      NOT COALESCE(
        currency IN (
          SELECT
            member
          FROM (VALUES
            ('AFN'),
            ('ALL'),
            ('AMD'),
            ('AOA'),
            ('ARS'),
            ('BDT'),
            ('BIF'),
            ('BTN'),
            ('BWP'),
            ('CDF'),
            ('CLP'),
            ('COP'),
            ('CRC'),
            ('CUP'),
            ('CVE'),
            ('CZK'),
            ('DJF'),
            ('DOP'),
            ('DZD'),
            ('EGP'),
            ('ERN'),
            ('ETB'),
            ('GHS'),
            ('GMD'),
            ('GNF'),
            ('GYD'),
            ('HNL'),
            ('HTG'),
            ('HUF'),
            ('IDR'),
            ('INR'),
            ('IQD'),
            ('IRR'),
            ('ISK'),
            ('JMD'),
            ('JPY'),
            ('KES'),
            ('KGS'),
            ('KHR'),
            ('KMF'),
            ('KPW'),
            ('KRW'),
            ('KZT'),
            ('LAK'),
            ('LBP'),
            ('LKR'),
            ('LRD'),
            ('LSL'),
            ('MDL'),
            ('MGA'),
            ('MKD'),
            ('MMK'),
            ('MNT'),
            ('MRU'),
            ('MUR'),
            ('MVR'),
            ('MWK'),
            ('MXN'),
            ('MZN'),
            ('NAD'),
            ('NGN'),
            ('NIO'),
            ('NOK'),
            ('NPR'),
            ('PHP'),
            ('PKR'),
            ('PYG'),
            ('RSD'),
            ('RUB'),
            ('RWF'),
            ('SCR'),
            ('SDG'),
            ('SLE'),
            ('SOS'),
            ('SRD'),
            ('SSP'),
            ('STN'),
            ('SYP'),
            ('SZL'),
            ('THB'),
            ('TRY'),
            ('TWD'),
            ('TZS'),
            ('UAH'),
            ('UGX'),
            ('UYU'),
            ('UZS'),
            ('VED'),
            ('VES'),
            ('VND'),
            ('VUV'),
            ('XAF'),
            ('XOF'),
            ('XPF'),
            ('YER'),
            ('ZAR'),
            ('ZMW'),
            ('ZWG')) AS value_set(member)
        ),
        FALSE
      )
    )
    AND (
      NOT amount IS NULL
    )
  )
  AND (
    amount < 0 OR amount > 1000000
  )
ORDER BY
  amount
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          SELECT
            member
          FROM (VALUES
            ('AFN'),
            ('ALL'),
            ('BTN'),
            ('BWP'),
            ('CVE'),
            ('CZK'),
            ('DOP'),
            ('EGP'),
            ('ERN'),
            ('GHS'),
            ('GMD'),
            ('HNL'),
            ('INR'),
            ('KGS'),
            ('LSL'),
            ('MDL'),
            ('MKD'),
            ('MRU'),
            ('MUR'),
            ('MVR'),
            ('MXN'),
            ('MZN'),
            ('NAD'),
            ('NIO'),
            ('NOK'),
            ('PHP'),
            ('RUB'),
            ('SCR'),
            ('SLE'),
            ('SRD'),
            ('STN'),
            ('SZL'),
            ('THB'),
            ('TRY'),
            ('TWD'),
            ('UAH'),
            ('UYU'),
            ('ZAR'),
            ('ZMW'),
            ('ZWG')) AS value_set(member)
        ),
        FALSE
      )
    )
    AND (
      NOT amount IS NULL
    )
  )
  AND (
    amount < 0 OR amount > 100000000
  )
ORDER BY
  amount
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          SELECT
            member
          FROM (VALUES
            ('AMD'),
            ('AOA'),
            ('BDT'),
            ('CLP'),
            ('CRC'),
            ('CUP'),
            ('DJF'),
            ('DZD'),
            ('ETB'),
            ('GYD'),
            ('HTG'),
            ('HUF'),
            ('ISK'),
            ('JMD'),
            ('JPY'),
            ('KES'),
            ('KMF'),
            ('KZT'),
            ('LKR'),
            ('LRD'),
            ('NPR'),
            ('PKR'),
            ('RSD'),
            ('SOS'),
            ('VUV'),
            ('XAF'),
            ('XOF'),
            ('XPF')) AS value_set(member)
        ),
        FALSE
      )
    )
    AND (
      NOT amount IS NULL
    )
  )
  AND (
    amount < 0 OR amount > 1000000000
  )
ORDER BY
  amount
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          SELECT
            member
          FROM (VALUES
            ('ARS'),
            ('BIF'),
            ('CDF'),
            ('COP'),
            ('GNF'),
            ('IQD'),
            ('KHR'),
            ('KRW'),
            ('MGA'),
            ('MMK'),
            ('MNT'),
            ('MWK'),
            ('NGN'),
            ('PYG'),
            ('RWF'),
            ('SDG'),
            ('SSP'),
            ('TZS'),
            ('UGX'),
            ('VED'),
            ('VES'),
            ('YER')) AS value_set(member)
        ),
        FALSE
      )
    )
    AND (
      NOT amount IS NULL
    )
  )
  AND (
    amount < 0 OR amount > 10000000000
  )
ORDER BY
  amount
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          SELECT
            member
          FROM (VALUES
            ('IDR'),
            ('KPW'),
            ('LAK'),
            ('LBP'),
            ('SYP'),
            ('UZS'),
            ('VND')) AS value_set(member)
        ),
        FALSE
      )
    )
    AND (
      NOT amount IS NULL
    )
  )
  AND (
    amount < 0 OR amount > 100000000000
  )
ORDER BY
  amount
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
      ELSE ROUND(ABS(amount - quantity * unit_price) / ABS(amount), 12)
    END AS amount_line_error,
    CAST(EPOCH_US(order_ts) - EPOCH_US(CAST(partition_date AS TIMESTAMP)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM warehouse.fct_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          SELECT
            member
          FROM (VALUES
            ('IRR')) AS value_set(member)
        ),
        FALSE
      )
    )
    AND (
      NOT amount IS NULL
    )
  )
  AND (
    amount < 0 OR amount > 10000000000000
  )
ORDER BY
  amount
LIMIT 5
