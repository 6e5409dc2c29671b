SELECT
  partition_date,
  COUNT(*) AS row_count,
  COUNT(DISTINCT source_file) AS files,
  CAST(COALESCE(SUM(CAST(amount_value AS DECIMAL(38, 12))), 0) AS DOUBLE) AS revenue,
  CAST(COALESCE(SUM(CAST(amount_value AS DECIMAL(38, 12))), 0) AS DOUBLE) / NULLIF(COUNT(amount_value), 0) AS mean_amount,
  MEDIAN(amount_value) AS median_amount,
  CAST(COALESCE(SUM(CAST(scaled_amount AS DECIMAL(38, 12))), 0) AS DOUBLE) AS scaled_revenue,
  CAST(COALESCE(SUM(CAST(scaled_amount AS DECIMAL(38, 12))), 0) AS DOUBLE) / NULLIF(COUNT(scaled_amount), 0) AS scaled_mean_amount,
  MEDIAN(scaled_amount) AS scaled_median_amount,
  COUNT(DISTINCT t_customer_id) AS customers,
  COUNT(t_order_id) - COUNT(DISTINCT t_order_id) AS duplicates,
  COUNT(CASE WHEN NOT t_amount IS NULL AND amount_value IS NULL THEN 1 END) AS unparseable,
  COUNT(parse_error) AS parse_errors,
  COUNT(CASE WHEN t_order_id IS NULL THEN 1 END) AS null_order_id,
  COUNT(CASE WHEN t_customer_id IS NULL THEN 1 END) AS null_customer_id,
  COUNT(CASE WHEN t_order_ts IS NULL THEN 1 END) AS null_order_ts,
  COUNT(CASE WHEN t_amount IS NULL THEN 1 END) AS null_amount,
  COUNT(CASE WHEN t_currency IS NULL THEN 1 END) AS null_currency,
  COUNT(CASE WHEN t_quantity IS NULL THEN 1 END) AS null_quantity,
  COUNT(CASE WHEN t_unit_price IS NULL THEN 1 END) AS null_unit_price,
  COUNT(CASE WHEN t_status IS NULL THEN 1 END) AS null_status,
  COUNT(CASE WHEN t_region IS NULL THEN 1 END) AS null_region,
  COUNT(CASE WHEN t_customer_email IS NULL THEN 1 END) AS null_customer_email,
  COUNT(CASE WHEN t_updated_at IS NULL THEN 1 END) AS null_updated_at
FROM (
  SELECT
    landed.*,
    landed.amount_value / COALESCE(CAST(currency_units.divisor AS DOUBLE), 1.0) AS scaled_amount
  FROM (
    SELECT
      partition_date,
      source_file,
      parse_error,
      NULLIF(
        TRIM(CAST(order_id AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_order_id,
      NULLIF(
        TRIM(CAST(customer_id AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_customer_id,
      NULLIF(
        TRIM(CAST(order_ts AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_order_ts,
      NULLIF(
        TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_amount,
      NULLIF(
        TRIM(CAST(currency AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_currency,
      NULLIF(
        TRIM(CAST(quantity AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_quantity,
      NULLIF(
        TRIM(CAST(unit_price AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_unit_price,
      NULLIF(
        TRIM(CAST(status AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_status,
      NULLIF(
        TRIM(CAST(region AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_region,
      NULLIF(
        TRIM(
          CAST(customer_email AS VARCHAR),
          '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'
        ),
        ''
      ) AS t_customer_email,
      NULLIF(
        TRIM(CAST(updated_at AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      ) AS t_updated_at,
      CASE
        WHEN REGEXP_LIKE(
          NULLIF(
            TRIM(CAST(currency AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
            ''
          ),
          '^[A-Za-z]+$'
        )
        THEN TRANSLATE(
          NULLIF(
            TRIM(CAST(currency AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
            ''
          ),
          'abcdefghijklmnopqrstuvwxyz',
          'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
        )
        ELSE NULLIF(
          TRIM(CAST(currency AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      END AS c_currency,
      CASE
        WHEN ABS(
          CASE
            WHEN REGEXP_LIKE(
              NULLIF(
                TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
                ''
              ),
              '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$'
            )
            AND (
              ABS(
                TRY_TO_DOUBLE(
                  NULLIF(
                    TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
                    ''
                  )
                )
              ) <= 1.7976931348623157e308
            )
            THEN TRY_TO_DOUBLE(
              NULLIF(
                TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
                ''
              )
            )
          END
        ) <= 1000000000000000.0
        THEN CASE
          WHEN REGEXP_LIKE(
            NULLIF(
              TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
              ''
            ),
            '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$'
          )
          AND (
            ABS(
              TRY_TO_DOUBLE(
                NULLIF(
                  TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
                  ''
                )
              )
            ) <= 1.7976931348623157e308
          )
          THEN TRY_TO_DOUBLE(
            NULLIF(
              TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
              ''
            )
          )
        END
      END AS amount_value
    FROM raw.raw_orders
    WHERE
      partition_date BETWEEN ? AND ?
  ) AS landed
  LEFT JOIN (VALUES
    ('AFN', 100.0),
    ('ALL', 100.0),
    ('AMD', 1000.0),
    ('AOA', 1000.0),
    ('ARS', 10000.0),
    ('BDT', 1000.0),
    ('BIF', 10000.0),
    ('BTN', 100.0),
    ('BWP', 100.0),
    ('CDF', 10000.0),
    ('CLP', 1000.0),
    ('COP', 10000.0),
    ('CRC', 1000.0),
    ('CUP', 1000.0),
    ('CVE', 100.0),
    ('CZK', 100.0),
    ('DJF', 1000.0),
    ('DOP', 100.0),
    ('DZD', 1000.0),
    ('EGP', 100.0),
    ('ERN', 100.0),
    ('ETB', 1000.0),
    ('GHS', 100.0),
    ('GMD', 100.0),
    ('GNF', 10000.0),
    ('GYD', 1000.0),
    ('HNL', 100.0),
    ('HTG', 1000.0),
    ('HUF', 1000.0),
    ('IDR', 100000.0),
    ('INR', 100.0),
    ('IQD', 10000.0),
    ('IRR', 10000000.0),
    ('ISK', 1000.0),
    ('JMD', 1000.0),
    ('JPY', 1000.0),
    ('KES', 1000.0),
    ('KGS', 100.0),
    ('KHR', 10000.0),
    ('KMF', 1000.0),
    ('KPW', 100000.0),
    ('KRW', 10000.0),
    ('KZT', 1000.0),
    ('LAK', 100000.0),
    ('LBP', 100000.0),
    ('LKR', 1000.0),
    ('LRD', 1000.0),
    ('LSL', 100.0),
    ('MDL', 100.0),
    ('MGA', 10000.0),
    ('MKD', 100.0),
    ('MMK', 10000.0),
    ('MNT', 10000.0),
    ('MRU', 100.0),
    ('MUR', 100.0),
    ('MVR', 100.0),
    ('MWK', 10000.0),
    ('MXN', 100.0),
    ('MZN', 100.0),
    ('NAD', 100.0),
    ('NGN', 10000.0),
    ('NIO', 100.0),
    ('NOK', 100.0),
    ('NPR', 1000.0),
    ('PHP', 100.0),
    ('PKR', 1000.0),
    ('PYG', 10000.0),
    ('RSD', 1000.0),
    ('RUB', 100.0),
    ('RWF', 10000.0),
    ('SCR', 100.0),
    ('SDG', 10000.0),
    ('SLE', 100.0),
    ('SOS', 1000.0),
    ('SRD', 100.0),
    ('SSP', 10000.0),
    ('STN', 100.0),
    ('SYP', 100000.0),
    ('SZL', 100.0),
    ('THB', 100.0),
    ('TRY', 100.0),
    ('TWD', 100.0),
    ('TZS', 10000.0),
    ('UAH', 100.0),
    ('UGX', 10000.0),
    ('UYU', 100.0),
    ('UZS', 100000.0),
    ('VED', 10000.0),
    ('VES', 10000.0),
    ('VND', 100000.0),
    ('VUV', 1000.0),
    ('XAF', 1000.0),
    ('XOF', 1000.0),
    ('XPF', 1000.0),
    ('YER', 10000.0),
    ('ZAR', 100.0),
    ('ZMW', 100.0),
    ('ZWG', 100.0)) AS currency_units(code, divisor)
    ON currency_units.code = landed.c_currency
) AS day_rows
GROUP BY
  partition_date
