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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
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
  updated_at
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    updated_at IS NULL
  )
ORDER BY
  updated_at
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day,
    COUNT(*) OVER (PARTITION BY partition_date, order_id) AS orders_rows_with_same_6
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT order_id IS NULL
  ) AND (
    orders_rows_with_same_6 > 1
  )
ORDER BY
  order_id
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT order_id IS NULL
  )
  AND (
    NOT (
      REGEXP_INSTR(order_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$') > 0
    )
  )
ORDER BY
  order_id
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT order_id IS NULL
  )
  AND (
    LENGTH(order_id) < 1 OR LENGTH(order_id) > 128
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT customer_id IS NULL
  )
  AND (
    NOT (
      REGEXP_INSTR(customer_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$') > 0
    )
  )
ORDER BY
  customer_id
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT customer_id IS NULL
  )
  AND (
    LENGTH(customer_id) < 1 OR LENGTH(customer_id) > 128
  )
ORDER BY
  customer_id
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      NOT COALESCE(
        currency IN (
          'AFN',
          'ALL',
          'AMD',
          'AOA',
          'ARS',
          'BDT',
          'BIF',
          'BTN',
          'BWP',
          'CDF',
          'CLP',
          'COP',
          'CRC',
          'CUP',
          'CVE',
          'CZK',
          'DJF',
          'DOP',
          'DZD',
          'EGP',
          'ERN',
          'ETB',
          'GHS',
          'GMD',
          'GNF',
          'GYD',
          'HNL',
          'HTG',
          'HUF',
          'IDR',
          'INR',
          'IQD',
          'IRR',
          'ISK',
          'JMD',
          'JPY',
          'KES',
          'KGS',
          'KHR',
          'KMF',
          'KPW',
          'KRW',
          'KZT',
          'LAK',
          'LBP',
          'LKR',
          'LRD',
          'LSL',
          'MDL',
          'MGA',
          'MKD',
          'MMK',
          'MNT',
          'MRU',
          'MUR',
          'MVR',
          'MWK',
          'MXN',
          'MZN',
          'NAD',
          'NGN',
          'NIO',
          'NOK',
          'NPR',
          'PHP',
          'PKR',
          'PYG',
          'RSD',
          'RUB',
          'RWF',
          'SCR',
          'SDG',
          'SLE',
          'SOS',
          'SRD',
          'SSP',
          'STN',
          'SYP',
          'SZL',
          'THB',
          'TRY',
          'TWD',
          'TZS',
          'UAH',
          'UGX',
          'UYU',
          'UZS',
          'VED',
          'VES',
          'VND',
          'VUV',
          'XAF',
          'XOF',
          'XPF',
          'YER',
          'ZAR',
          'ZMW',
          'ZWG'
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          'AFN',
          'ALL',
          'BTN',
          'BWP',
          'CVE',
          'CZK',
          'DOP',
          'EGP',
          'ERN',
          'GHS',
          'GMD',
          'HNL',
          'INR',
          'KGS',
          'LSL',
          'MDL',
          'MKD',
          'MRU',
          'MUR',
          'MVR',
          'MXN',
          'MZN',
          'NAD',
          'NIO',
          'NOK',
          'PHP',
          'RUB',
          'SCR',
          'SLE',
          'SRD',
          'STN',
          'SZL',
          'THB',
          'TRY',
          'TWD',
          'UAH',
          'UYU',
          'ZAR',
          'ZMW',
          'ZWG'
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          'AMD',
          'AOA',
          'BDT',
          'CLP',
          'CRC',
          'CUP',
          'DJF',
          'DZD',
          'ETB',
          'GYD',
          'HTG',
          'HUF',
          'ISK',
          'JMD',
          'JPY',
          'KES',
          'KMF',
          'KZT',
          'LKR',
          'LRD',
          'NPR',
          'PKR',
          'RSD',
          'SOS',
          'VUV',
          'XAF',
          'XOF',
          'XPF'
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          'ARS',
          'BIF',
          'CDF',
          'COP',
          'GNF',
          'IQD',
          'KHR',
          'KRW',
          'MGA',
          'MMK',
          'MNT',
          'MWK',
          'NGN',
          'PYG',
          'RWF',
          'SDG',
          'SSP',
          'TZS',
          'UGX',
          'VED',
          'VES',
          'YER'
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(currency IN ('IDR', 'KPW', 'LAK', 'LBP', 'SYP', 'UZS', 'VND'), FALSE)
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(currency IN ('IRR'), FALSE)
    ) AND (
      NOT amount IS NULL
    )
  )
  AND (
    amount < 0 OR amount > 10000000000000
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT currency IS NULL
  )
  AND (
    NOT currency IN (
      'AED',
      'AFN',
      'ALL',
      'AMD',
      'ANG',
      'AOA',
      'ARS',
      'AUD',
      'AWG',
      'AZN',
      'BAM',
      'BBD',
      'BDT',
      'BGN',
      'BHD',
      'BIF',
      'BMD',
      'BND',
      'BOB',
      'BRL',
      'BSD',
      'BTN',
      'BWP',
      'BYN',
      'BZD',
      'CAD',
      'CDF',
      'CHF',
      'CLP',
      'CNY',
      'COP',
      'CRC',
      'CUP',
      'CVE',
      'CZK',
      'DJF',
      'DKK',
      'DOP',
      'DZD',
      'EGP',
      'ERN',
      'ETB',
      'EUR',
      'FJD',
      'FKP',
      'GBP',
      'GEL',
      'GHS',
      'GIP',
      'GMD',
      'GNF',
      'GTQ',
      'GYD',
      'HKD',
      'HNL',
      'HTG',
      'HUF',
      'IDR',
      'ILS',
      'INR',
      'IQD',
      'IRR',
      'ISK',
      'JMD',
      'JOD',
      'JPY',
      'KES',
      'KGS',
      'KHR',
      'KMF',
      'KPW',
      'KRW',
      'KWD',
      'KYD',
      'KZT',
      'LAK',
      'LBP',
      'LKR',
      'LRD',
      'LSL',
      'LYD',
      'MAD',
      'MDL',
      'MGA',
      'MKD',
      'MMK',
      'MNT',
      'MOP',
      'MRU',
      'MUR',
      'MVR',
      'MWK',
      'MXN',
      'MYR',
      'MZN',
      'NAD',
      'NGN',
      'NIO',
      'NOK',
      'NPR',
      'NZD',
      'OMR',
      'PAB',
      'PEN',
      'PGK',
      'PHP',
      'PKR',
      'PLN',
      'PYG',
      'QAR',
      'RON',
      'RSD',
      'RUB',
      'RWF',
      'SAR',
      'SBD',
      'SCR',
      'SDG',
      'SEK',
      'SGD',
      'SHP',
      'SLE',
      'SOS',
      'SRD',
      'SSP',
      'STN',
      'SVC',
      'SYP',
      'SZL',
      'THB',
      'TJS',
      'TMT',
      'TND',
      'TOP',
      'TRY',
      'TTD',
      'TWD',
      'TZS',
      'UAH',
      'UGX',
      'USD',
      'UYU',
      'UZS',
      'VED',
      'VES',
      'VND',
      'VUV',
      'WST',
      'XAF',
      'XCD',
      'XCG',
      'XOF',
      'XPF',
      'YER',
      'ZAR',
      'ZMW',
      'ZWG'
    )
  )
ORDER BY
  currency
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT currency IS NULL
  )
  AND (
    NOT (
      REGEXP_INSTR(currency, '^[A-Z]{3}$') > 0
    )
  )
ORDER BY
  currency
LIMIT 5;

SELECT
  quantity
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT quantity IS NULL
  ) AND (
    quantity < 1 OR quantity > 100000
  )
ORDER BY
  quantity
LIMIT 5;

SELECT
  unit_price
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      NOT COALESCE(
        currency IN (
          'AFN',
          'ALL',
          'AMD',
          'AOA',
          'ARS',
          'BDT',
          'BIF',
          'BTN',
          'BWP',
          'CDF',
          'CLP',
          'COP',
          'CRC',
          'CUP',
          'CVE',
          'CZK',
          'DJF',
          'DOP',
          'DZD',
          'EGP',
          'ERN',
          'ETB',
          'GHS',
          'GMD',
          'GNF',
          'GYD',
          'HNL',
          'HTG',
          'HUF',
          'IDR',
          'INR',
          'IQD',
          'IRR',
          'ISK',
          'JMD',
          'JPY',
          'KES',
          'KGS',
          'KHR',
          'KMF',
          'KPW',
          'KRW',
          'KZT',
          'LAK',
          'LBP',
          'LKR',
          'LRD',
          'LSL',
          'MDL',
          'MGA',
          'MKD',
          'MMK',
          'MNT',
          'MRU',
          'MUR',
          'MVR',
          'MWK',
          'MXN',
          'MZN',
          'NAD',
          'NGN',
          'NIO',
          'NOK',
          'NPR',
          'PHP',
          'PKR',
          'PYG',
          'RSD',
          'RUB',
          'RWF',
          'SCR',
          'SDG',
          'SLE',
          'SOS',
          'SRD',
          'SSP',
          'STN',
          'SYP',
          'SZL',
          'THB',
          'TRY',
          'TWD',
          'TZS',
          'UAH',
          'UGX',
          'UYU',
          'UZS',
          'VED',
          'VES',
          'VND',
          'VUV',
          'XAF',
          'XOF',
          'XPF',
          'YER',
          'ZAR',
          'ZMW',
          'ZWG'
        ),
        FALSE
      )
    )
    AND (
      NOT unit_price IS NULL
    )
  )
  AND (
    unit_price < 0 OR unit_price > 1000000
  )
ORDER BY
  unit_price
LIMIT 5;

SELECT
  unit_price
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          'AFN',
          'ALL',
          'BTN',
          'BWP',
          'CVE',
          'CZK',
          'DOP',
          'EGP',
          'ERN',
          'GHS',
          'GMD',
          'HNL',
          'INR',
          'KGS',
          'LSL',
          'MDL',
          'MKD',
          'MRU',
          'MUR',
          'MVR',
          'MXN',
          'MZN',
          'NAD',
          'NIO',
          'NOK',
          'PHP',
          'RUB',
          'SCR',
          'SLE',
          'SRD',
          'STN',
          'SZL',
          'THB',
          'TRY',
          'TWD',
          'UAH',
          'UYU',
          'ZAR',
          'ZMW',
          'ZWG'
        ),
        FALSE
      )
    )
    AND (
      NOT unit_price IS NULL
    )
  )
  AND (
    unit_price < 0 OR unit_price > 100000000
  )
ORDER BY
  unit_price
LIMIT 5;

SELECT
  unit_price
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          'AMD',
          'AOA',
          'BDT',
          'CLP',
          'CRC',
          'CUP',
          'DJF',
          'DZD',
          'ETB',
          'GYD',
          'HTG',
          'HUF',
          'ISK',
          'JMD',
          'JPY',
          'KES',
          'KMF',
          'KZT',
          'LKR',
          'LRD',
          'NPR',
          'PKR',
          'RSD',
          'SOS',
          'VUV',
          'XAF',
          'XOF',
          'XPF'
        ),
        FALSE
      )
    )
    AND (
      NOT unit_price IS NULL
    )
  )
  AND (
    unit_price < 0 OR unit_price > 1000000000
  )
ORDER BY
  unit_price
LIMIT 5;

SELECT
  unit_price
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(
        currency IN (
          'ARS',
          'BIF',
          'CDF',
          'COP',
          'GNF',
          'IQD',
          'KHR',
          'KRW',
          'MGA',
          'MMK',
          'MNT',
          'MWK',
          'NGN',
          'PYG',
          'RWF',
          'SDG',
          'SSP',
          'TZS',
          'UGX',
          'VED',
          'VES',
          'YER'
        ),
        FALSE
      )
    )
    AND (
      NOT unit_price IS NULL
    )
  )
  AND (
    unit_price < 0 OR unit_price > 10000000000
  )
ORDER BY
  unit_price
LIMIT 5;

SELECT
  unit_price
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(currency IN ('IDR', 'KPW', 'LAK', 'LBP', 'SYP', 'UZS', 'VND'), FALSE)
    )
    AND (
      NOT unit_price IS NULL
    )
  )
  AND (
    unit_price < 0 OR unit_price > 100000000000
  )
ORDER BY
  unit_price
LIMIT 5;

SELECT
  unit_price
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    (
      COALESCE(currency IN ('IRR'), FALSE)
    ) AND (
      NOT unit_price IS NULL
    )
  )
  AND (
    unit_price < 0 OR unit_price > 10000000000000
  )
ORDER BY
  unit_price
LIMIT 5;

SELECT
  status
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT status IS NULL
  )
  AND (
    NOT status IN ('placed', 'shipped', 'delivered', 'cancelled', 'returned')
  )
ORDER BY
  status
LIMIT 5;

SELECT
  region
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT region IS NULL
  ) AND (
    LENGTH(region) < 1 OR LENGTH(region) > 64
  )
ORDER BY
  region
LIMIT 5;

SELECT
  region
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT region IS NULL
  ) AND (
    (
      REGEXP_INSTR(region, '^[+=@-]') > 0
    )
  )
ORDER BY
  region
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
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
  updated_at,
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT (
      updated_at IS NULL AND order_ts IS NULL
    )
  )
  AND (
    NOT COALESCE(updated_at >= order_ts, FALSE)
  )
ORDER BY
  updated_at,
  order_ts
LIMIT 5;

SELECT
  amount_line_error
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT amount_line_error IS NULL
  )
  AND (
    amount_line_error < 0 OR amount_line_error > 0.01
  )
ORDER BY
  amount_line_error
LIMIT 5;

SELECT
  customer_email_hash
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
    CAST(DATE_PART(EPOCH_MICROSECOND, order_ts) - DATE_PART(EPOCH_MICROSECOND, CAST(partition_date AS TIMESTAMPNTZ)) AS DOUBLE) / 1000000 AS order_ts_seconds_into_day
  FROM staging.cleaned_orders AS day_rows
  WHERE
    partition_date BETWEEN ? AND ?
) AS day_batch
WHERE
  (
    NOT customer_email_hash IS NULL
  )
  AND (
    NOT (
      REGEXP_INSTR(customer_email_hash, '^[0-9a-f]{64}$') > 0
    )
  )
ORDER BY
  customer_email_hash
LIMIT 5
