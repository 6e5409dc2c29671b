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
  unexpected_9,
  judged_10,
  unexpected_10,
  judged_11,
  unexpected_11,
  judged_12,
  unexpected_12,
  judged_13,
  unexpected_13,
  judged_14,
  unexpected_14
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
    COUNT(CASE WHEN (
      picked_0
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_9,
    COUNT(
      CASE
        WHEN (
          (
            picked_0
          ) AND (
            NOT amount IS NULL
          )
        )
        AND (
          amount < 0 OR amount > 1000000
        )
        THEN 1
      END
    ) AS unexpected_9,
    COUNT(CASE WHEN (
      picked_1
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_10,
    COUNT(
      CASE
        WHEN (
          (
            picked_1
          ) AND (
            NOT amount IS NULL
          )
        )
        AND (
          amount < 0 OR amount > 100000000
        )
        THEN 1
      END
    ) AS unexpected_10,
    COUNT(CASE WHEN (
      picked_2
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_11,
    COUNT(
      CASE
        WHEN (
          (
            picked_2
          ) AND (
            NOT amount IS NULL
          )
        )
        AND (
          amount < 0 OR amount > 1000000000
        )
        THEN 1
      END
    ) AS unexpected_11,
    COUNT(CASE WHEN (
      picked_3
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_12,
    COUNT(
      CASE
        WHEN (
          (
            picked_3
          ) AND (
            NOT amount IS NULL
          )
        )
        AND (
          amount < 0 OR amount > 10000000000
        )
        THEN 1
      END
    ) AS unexpected_12,
    COUNT(CASE WHEN (
      picked_4
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_13,
    COUNT(
      CASE
        WHEN (
          (
            picked_4
          ) AND (
            NOT amount IS NULL
          )
        )
        AND (
          amount < 0 OR amount > 100000000000
        )
        THEN 1
      END
    ) AS unexpected_13,
    COUNT(CASE WHEN (
      picked_5
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_14,
    COUNT(
      CASE
        WHEN (
          (
            picked_5
          ) AND (
            NOT amount IS NULL
          )
        )
        AND (
          amount < 0 OR amount > 10000000000000
        )
        THEN 1
      END
    ) AS unexpected_14
  FROM (
    SELECT
      day_rows.*,
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
      ) AS picked_0,
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
      ) AS picked_1,
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
      ) AS picked_2,
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
      ) AS picked_3,
      COALESCE(currency IN ('IDR', 'KPW', 'LAK', 'LBP', 'SYP', 'UZS', 'VND'), FALSE) AS picked_4,
      COALESCE(currency IN ('IRR'), FALSE) AS picked_5
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
      FROM warehouse.fct_orders AS day_rows
      WHERE
        partition_date BETWEEN ? AND ?
    ) AS day_rows
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
    FROM warehouse.fct_orders AS day_rows
    JOIN (
      SELECT
        partition_date AS day,
        HASH(order_id) AS value_hash
      FROM warehouse.fct_orders
      WHERE
        partition_date BETWEEN ? AND ? AND NOT order_id IS NULL
      GROUP BY
        partition_date,
        HASH(order_id)
      HAVING
        COUNT(*) > 1
    ) AS repeated_hashes
      ON repeated_hashes.day = day_rows.partition_date
      AND repeated_hashes.value_hash = HASH(day_rows.order_id)
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
