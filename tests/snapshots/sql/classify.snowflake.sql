WITH texts AS (
  SELECT
    raw.*,
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
    END AS t_currency,
    NULLIF(
      TRIM(CAST(quantity AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
      ''
    ) AS t_quantity,
    NULLIF(
      TRIM(CAST(unit_price AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
      ''
    ) AS t_unit_price,
    CASE
      WHEN REGEXP_LIKE(
        NULLIF(
          TRIM(CAST(status AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        ),
        '^[A-Za-z]+$'
      )
      THEN TRANSLATE(
        NULLIF(
          TRIM(CAST(status AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        ),
        'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
        'abcdefghijklmnopqrstuvwxyz'
      )
      ELSE NULLIF(
        TRIM(CAST(status AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
        ''
      )
    END AS t_status,
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
    ) AS t_updated_at
  FROM raw.raw_orders AS raw
  WHERE
    partition_date BETWEEN ? AND ?
), typed AS (
  SELECT
    texts.*,
    currency_bounds.max_amount,
    currency_bounds.max_unit_price,
    CASE
      WHEN REGEXP_LIKE(
        UPPER(t_order_ts),
        '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$'
      )
      THEN CONVERT_TIMEZONE(
        'UTC',
        DATEADD(
          NANOSECOND,
          -DATE_PART(
            NANOSECOND,
            TRY_CAST(CASE
              WHEN LENGTH(UPPER(t_order_ts)) = 10
              THEN UPPER(t_order_ts) || ' 00:00+00:00'
              WHEN RIGHT(UPPER(t_order_ts), 1) = 'Z'
              THEN LEFT(UPPER(t_order_ts), LENGTH(UPPER(t_order_ts)) - 1) || '+00:00'
              WHEN REGEXP_LIKE(UPPER(t_order_ts), '.*[+-][0-9]{2}')
              THEN UPPER(t_order_ts) || ':00'
              WHEN REGEXP_LIKE(UPPER(t_order_ts), '.*[+-][0-9]{4}')
              THEN LEFT(UPPER(t_order_ts), LENGTH(UPPER(t_order_ts)) - 2) || ':' || RIGHT(UPPER(t_order_ts), 2)
              WHEN REGEXP_LIKE(UPPER(t_order_ts), '.*[+-][0-9]{2}:[0-9]{2}')
              THEN UPPER(t_order_ts)
              ELSE UPPER(t_order_ts) || '+00:00'
            END AS TIMESTAMPTZ)
          ) % 1000,
          TRY_CAST(CASE
            WHEN LENGTH(UPPER(t_order_ts)) = 10
            THEN UPPER(t_order_ts) || ' 00:00+00:00'
            WHEN RIGHT(UPPER(t_order_ts), 1) = 'Z'
            THEN LEFT(UPPER(t_order_ts), LENGTH(UPPER(t_order_ts)) - 1) || '+00:00'
            WHEN REGEXP_LIKE(UPPER(t_order_ts), '.*[+-][0-9]{2}')
            THEN UPPER(t_order_ts) || ':00'
            WHEN REGEXP_LIKE(UPPER(t_order_ts), '.*[+-][0-9]{4}')
            THEN LEFT(UPPER(t_order_ts), LENGTH(UPPER(t_order_ts)) - 2) || ':' || RIGHT(UPPER(t_order_ts), 2)
            WHEN REGEXP_LIKE(UPPER(t_order_ts), '.*[+-][0-9]{2}:[0-9]{2}')
            THEN UPPER(t_order_ts)
            ELSE UPPER(t_order_ts) || '+00:00'
          END AS TIMESTAMPTZ)
        )
      )
    END AS u_order_ts,
    COALESCE(
      NOT t_order_ts IS NULL
      AND NOT REGEXP_LIKE(
        UPPER(t_order_ts),
        '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$'
      ),
      FALSE
    ) AS n_order_ts,
    CASE
      WHEN REGEXP_LIKE(t_amount, '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$')
      THEN TRY_TO_DOUBLE(t_amount)
    END AS d_amount,
    CASE
      WHEN REGEXP_LIKE(t_quantity, '^[+-]?[0-9]+(\\.0*)?$')
      THEN TRY_TO_DOUBLE(t_quantity)
    END AS d_quantity,
    CASE
      WHEN REGEXP_LIKE(t_unit_price, '^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$')
      THEN TRY_TO_DOUBLE(t_unit_price)
    END AS d_unit_price,
    CASE
      WHEN REGEXP_LIKE(
        UPPER(t_updated_at),
        '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?$'
      )
      THEN CONVERT_TIMEZONE(
        'UTC',
        DATEADD(
          NANOSECOND,
          -DATE_PART(
            NANOSECOND,
            TRY_CAST(CASE
              WHEN LENGTH(UPPER(t_updated_at)) = 10
              THEN UPPER(t_updated_at) || ' 00:00+00:00'
              WHEN RIGHT(UPPER(t_updated_at), 1) = 'Z'
              THEN LEFT(UPPER(t_updated_at), LENGTH(UPPER(t_updated_at)) - 1) || '+00:00'
              WHEN REGEXP_LIKE(UPPER(t_updated_at), '.*[+-][0-9]{2}')
              THEN UPPER(t_updated_at) || ':00'
              WHEN REGEXP_LIKE(UPPER(t_updated_at), '.*[+-][0-9]{4}')
              THEN LEFT(UPPER(t_updated_at), LENGTH(UPPER(t_updated_at)) - 2) || ':' || RIGHT(UPPER(t_updated_at), 2)
              WHEN REGEXP_LIKE(UPPER(t_updated_at), '.*[+-][0-9]{2}:[0-9]{2}')
              THEN UPPER(t_updated_at)
              ELSE UPPER(t_updated_at) || '+00:00'
            END AS TIMESTAMPTZ)
          ) % 1000,
          TRY_CAST(CASE
            WHEN LENGTH(UPPER(t_updated_at)) = 10
            THEN UPPER(t_updated_at) || ' 00:00+00:00'
            WHEN RIGHT(UPPER(t_updated_at), 1) = 'Z'
            THEN LEFT(UPPER(t_updated_at), LENGTH(UPPER(t_updated_at)) - 1) || '+00:00'
            WHEN REGEXP_LIKE(UPPER(t_updated_at), '.*[+-][0-9]{2}')
            THEN UPPER(t_updated_at) || ':00'
            WHEN REGEXP_LIKE(UPPER(t_updated_at), '.*[+-][0-9]{4}')
            THEN LEFT(UPPER(t_updated_at), LENGTH(UPPER(t_updated_at)) - 2) || ':' || RIGHT(UPPER(t_updated_at), 2)
            WHEN REGEXP_LIKE(UPPER(t_updated_at), '.*[+-][0-9]{2}:[0-9]{2}')
            THEN UPPER(t_updated_at)
            ELSE UPPER(t_updated_at) || '+00:00'
          END AS TIMESTAMPTZ)
        )
      )
    END AS u_updated_at,
    COALESCE(
      NOT t_updated_at IS NULL
      AND NOT REGEXP_LIKE(
        UPPER(t_updated_at),
        '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$'
      ),
      FALSE
    ) AS n_updated_at
  FROM texts
  LEFT JOIN (VALUES
    ('AFN', 100000000, 100000000),
    ('ALL', 100000000, 100000000),
    ('AMD', 1000000000, 1000000000),
    ('AOA', 1000000000, 1000000000),
    ('ARS', 10000000000, 10000000000),
    ('BDT', 1000000000, 1000000000),
    ('BIF', 10000000000, 10000000000),
    ('BTN', 100000000, 100000000),
    ('BWP', 100000000, 100000000),
    ('CDF', 10000000000, 10000000000),
    ('CLP', 1000000000, 1000000000),
    ('COP', 10000000000, 10000000000),
    ('CRC', 1000000000, 1000000000),
    ('CUP', 1000000000, 1000000000),
    ('CVE', 100000000, 100000000),
    ('CZK', 100000000, 100000000),
    ('DJF', 1000000000, 1000000000),
    ('DOP', 100000000, 100000000),
    ('DZD', 1000000000, 1000000000),
    ('EGP', 100000000, 100000000),
    ('ERN', 100000000, 100000000),
    ('ETB', 1000000000, 1000000000),
    ('GHS', 100000000, 100000000),
    ('GMD', 100000000, 100000000),
    ('GNF', 10000000000, 10000000000),
    ('GYD', 1000000000, 1000000000),
    ('HNL', 100000000, 100000000),
    ('HTG', 1000000000, 1000000000),
    ('HUF', 1000000000, 1000000000),
    ('IDR', 100000000000, 100000000000),
    ('INR', 100000000, 100000000),
    ('IQD', 10000000000, 10000000000),
    ('IRR', 10000000000000, 10000000000000),
    ('ISK', 1000000000, 1000000000),
    ('JMD', 1000000000, 1000000000),
    ('JPY', 1000000000, 1000000000),
    ('KES', 1000000000, 1000000000),
    ('KGS', 100000000, 100000000),
    ('KHR', 10000000000, 10000000000),
    ('KMF', 1000000000, 1000000000),
    ('KPW', 100000000000, 100000000000),
    ('KRW', 10000000000, 10000000000),
    ('KZT', 1000000000, 1000000000),
    ('LAK', 100000000000, 100000000000),
    ('LBP', 100000000000, 100000000000),
    ('LKR', 1000000000, 1000000000),
    ('LRD', 1000000000, 1000000000),
    ('LSL', 100000000, 100000000),
    ('MDL', 100000000, 100000000),
    ('MGA', 10000000000, 10000000000),
    ('MKD', 100000000, 100000000),
    ('MMK', 10000000000, 10000000000),
    ('MNT', 10000000000, 10000000000),
    ('MRU', 100000000, 100000000),
    ('MUR', 100000000, 100000000),
    ('MVR', 100000000, 100000000),
    ('MWK', 10000000000, 10000000000),
    ('MXN', 100000000, 100000000),
    ('MZN', 100000000, 100000000),
    ('NAD', 100000000, 100000000),
    ('NGN', 10000000000, 10000000000),
    ('NIO', 100000000, 100000000),
    ('NOK', 100000000, 100000000),
    ('NPR', 1000000000, 1000000000),
    ('PHP', 100000000, 100000000),
    ('PKR', 1000000000, 1000000000),
    ('PYG', 10000000000, 10000000000),
    ('RSD', 1000000000, 1000000000),
    ('RUB', 100000000, 100000000),
    ('RWF', 10000000000, 10000000000),
    ('SCR', 100000000, 100000000),
    ('SDG', 10000000000, 10000000000),
    ('SLE', 100000000, 100000000),
    ('SOS', 1000000000, 1000000000),
    ('SRD', 100000000, 100000000),
    ('SSP', 10000000000, 10000000000),
    ('STN', 100000000, 100000000),
    ('SYP', 100000000000, 100000000000),
    ('SZL', 100000000, 100000000),
    ('THB', 100000000, 100000000),
    ('TRY', 100000000, 100000000),
    ('TWD', 100000000, 100000000),
    ('TZS', 10000000000, 10000000000),
    ('UAH', 100000000, 100000000),
    ('UGX', 10000000000, 10000000000),
    ('UYU', 100000000, 100000000),
    ('UZS', 100000000000, 100000000000),
    ('VED', 10000000000, 10000000000),
    ('VES', 10000000000, 10000000000),
    ('VND', 100000000000, 100000000000),
    ('VUV', 1000000000, 1000000000),
    ('XAF', 1000000000, 1000000000),
    ('XOF', 1000000000, 1000000000),
    ('XPF', 1000000000, 1000000000),
    ('YER', 10000000000, 10000000000),
    ('ZAR', 100000000, 100000000),
    ('ZMW', 100000000, 100000000),
    ('ZWG', 100000000, 100000000)) AS currency_bounds(code, max_amount, max_unit_price)
    ON currency_bounds.code = texts.t_currency
), bounded AS (
  SELECT
    typed.*,
    CASE
      WHEN (
        CAST(CONVERT_TIMEZONE('UTC', u_order_ts) AS DATE) BETWEEN CAST('0001-01-01' AS DATE) AND CAST('9999-12-31' AS DATE)
      )
      THEN u_order_ts
    END AS v_order_ts,
    CASE
      WHEN (
        ABS(d_amount) <= 1.7976931348623157e308
      )
      AND NOT (
        d_amount = 0 AND REGEXP_LIKE(t_amount, '^[^eE]*[1-9].*$')
      )
      THEN d_amount + 0.0
    END AS v_amount,
    CASE
      WHEN (
        ABS(d_quantity) <= 1.7976931348623157e308
      )
      AND NOT (
        d_quantity = 0 AND REGEXP_LIKE(t_quantity, '^[^eE]*[1-9].*$')
      )
      THEN d_quantity + 0.0
    END AS v_quantity,
    CASE
      WHEN (
        ABS(d_unit_price) <= 1.7976931348623157e308
      )
      AND NOT (
        d_unit_price = 0 AND REGEXP_LIKE(t_unit_price, '^[^eE]*[1-9].*$')
      )
      THEN d_unit_price + 0.0
    END AS v_unit_price,
    CASE
      WHEN (
        CAST(CONVERT_TIMEZONE('UTC', u_updated_at) AS DATE) BETWEEN CAST('0001-01-01' AS DATE) AND CAST('9999-12-31' AS DATE)
      )
      THEN u_updated_at
    END AS v_updated_at
  FROM typed
), flagged AS (
  SELECT
    bounded.*,
    COALESCE(
      COALESCE(
        LEFT(t_order_id, 1) IN ('[', '{')
        AND NOT TRY_PARSE_JSON(
          REGEXP_REPLACE(
            t_order_id,
            '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
            '\\1 0 '
          ),
          'd'
        ) IS NULL,
        FALSE
      ),
      FALSE
    ) AS m_order_id,
    COALESCE(
      COALESCE(
        LEFT(t_customer_id, 1) IN ('[', '{')
        AND NOT TRY_PARSE_JSON(
          REGEXP_REPLACE(
            t_customer_id,
            '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
            '\\1 0 '
          ),
          'd'
        ) IS NULL,
        FALSE
      ),
      FALSE
    ) AS m_customer_id,
    (
      NOT t_order_ts IS NULL AND v_order_ts IS NULL
    ) AS m_order_ts,
    (
      NOT t_amount IS NULL AND v_amount IS NULL
    ) AS m_amount,
    COALESCE(
      COALESCE(
        LEFT(t_currency, 1) IN ('[', '{')
        AND NOT TRY_PARSE_JSON(
          REGEXP_REPLACE(
            t_currency,
            '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
            '\\1 0 '
          ),
          'd'
        ) IS NULL,
        FALSE
      ),
      FALSE
    ) AS m_currency,
    (
      NOT t_quantity IS NULL AND v_quantity IS NULL
    ) AS m_quantity,
    (
      NOT t_unit_price IS NULL AND v_unit_price IS NULL
    ) AS m_unit_price,
    COALESCE(
      COALESCE(
        LEFT(t_status, 1) IN ('[', '{')
        AND NOT TRY_PARSE_JSON(
          REGEXP_REPLACE(
            t_status,
            '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
            '\\1 0 '
          ),
          'd'
        ) IS NULL,
        FALSE
      ),
      FALSE
    ) AS m_status,
    COALESCE(
      COALESCE(
        LEFT(t_region, 1) IN ('[', '{')
        AND NOT TRY_PARSE_JSON(
          REGEXP_REPLACE(
            t_region,
            '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
            '\\1 0 '
          ),
          'd'
        ) IS NULL,
        FALSE
      ),
      FALSE
    ) AS m_region,
    COALESCE(
      COALESCE(
        LEFT(t_customer_email, 1) IN ('[', '{')
        AND NOT TRY_PARSE_JSON(
          REGEXP_REPLACE(
            t_customer_email,
            '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
            '\\1 0 '
          ),
          'd'
        ) IS NULL,
        FALSE
      ),
      FALSE
    ) AS m_customer_email,
    (
      NOT t_updated_at IS NULL AND v_updated_at IS NULL
    ) AS m_updated_at
  FROM bounded
), checked AS (
  SELECT
    flagged.*,
    TRUE AS no_ok
  FROM flagged
), judged AS (
  SELECT
    checked.*,
    CASE
      WHEN NOT parse_error IS NULL
      THEN 'malformed_record'
      WHEN COALESCE(parse_error IS NULL AND (
        t_order_id IS NULL
      ), FALSE)
      THEN 'missing_order_id'
      WHEN COALESCE(parse_error IS NULL AND (
        t_customer_id IS NULL
      ), FALSE)
      THEN 'missing_customer_id'
      WHEN COALESCE(parse_error IS NULL AND (
        t_order_ts IS NULL
      ), FALSE)
      THEN 'missing_order_ts'
      WHEN COALESCE(parse_error IS NULL AND (
        t_amount IS NULL
      ), FALSE)
      THEN 'missing_amount'
      WHEN COALESCE(parse_error IS NULL AND (
        t_currency IS NULL
      ), FALSE)
      THEN 'missing_currency'
      WHEN COALESCE(parse_error IS NULL AND (
        LENGTH(t_order_id) > 128
      ), FALSE)
      THEN 'order_id_too_long'
      WHEN COALESCE(parse_error IS NULL AND (
        LENGTH(t_customer_id) > 128
      ), FALSE)
      THEN 'customer_id_too_long'
      WHEN COALESCE(parse_error IS NULL AND (
        LENGTH(t_region) > 64
      ), FALSE)
      THEN 'region_too_long'
      WHEN COALESCE(parse_error IS NULL AND (
        LENGTH(t_customer_email) > 320
      ), FALSE)
      THEN 'customer_email_too_long'
      WHEN COALESCE(parse_error IS NULL AND (
        NOT t_order_ts IS NULL AND v_order_ts IS NULL
      ), FALSE)
      THEN 'invalid_order_ts'
      WHEN COALESCE(
        parse_error IS NULL AND (
          NOT t_updated_at IS NULL AND v_updated_at IS NULL
        ),
        FALSE
      )
      THEN 'invalid_updated_at'
      WHEN COALESCE(parse_error IS NULL AND (
        NOT t_amount IS NULL AND v_amount IS NULL
      ), FALSE)
      THEN 'invalid_amount'
      WHEN COALESCE(parse_error IS NULL AND (
        v_amount < 0
      ), FALSE)
      THEN 'negative_amount'
      WHEN COALESCE(parse_error IS NULL AND (
        v_amount > COALESCE(max_amount, 1000000)
      ), FALSE)
      THEN 'amount_out_of_range'
      WHEN COALESCE(parse_error IS NULL AND (
        NOT t_quantity IS NULL AND v_quantity IS NULL
      ), FALSE)
      THEN 'invalid_quantity'
      WHEN COALESCE(parse_error IS NULL AND (
        v_quantity < 1
      ), FALSE)
      THEN 'quantity_below_minimum'
      WHEN COALESCE(parse_error IS NULL AND (
        v_quantity > 100000
      ), FALSE)
      THEN 'quantity_out_of_range'
      WHEN COALESCE(
        parse_error IS NULL AND (
          NOT t_unit_price IS NULL AND v_unit_price IS NULL
        ),
        FALSE
      )
      THEN 'invalid_unit_price'
      WHEN COALESCE(parse_error IS NULL AND (
        v_unit_price < 0
      ), FALSE)
      THEN 'negative_unit_price'
      WHEN COALESCE(
        parse_error IS NULL AND (
          v_unit_price > COALESCE(max_unit_price, 1000000)
        ),
        FALSE
      )
      THEN 'unit_price_out_of_range'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_order_id IS NULL
          AND (
            (
              COALESCE(
                LEFT(t_order_id, 1) IN ('[', '{')
                AND NOT TRY_PARSE_JSON(
                  REGEXP_REPLACE(
                    t_order_id,
                    '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                    '\\1 0 '
                  ),
                  'd'
                ) IS NULL,
                FALSE
              )
            )
            OR (
              NOT REGEXP_LIKE(t_order_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
            )
          )
        ),
        FALSE
      )
      THEN 'invalid_order_id'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_customer_id IS NULL
          AND (
            (
              COALESCE(
                LEFT(t_customer_id, 1) IN ('[', '{')
                AND NOT TRY_PARSE_JSON(
                  REGEXP_REPLACE(
                    t_customer_id,
                    '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                    '\\1 0 '
                  ),
                  'd'
                ) IS NULL,
                FALSE
              )
            )
            OR (
              NOT REGEXP_LIKE(t_customer_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
            )
          )
        ),
        FALSE
      )
      THEN 'invalid_customer_id'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_currency IS NULL
          AND (
            (
              COALESCE(
                LEFT(t_currency, 1) IN ('[', '{')
                AND NOT TRY_PARSE_JSON(
                  REGEXP_REPLACE(
                    t_currency,
                    '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                    '\\1 0 '
                  ),
                  'd'
                ) IS NULL,
                FALSE
              )
            )
            OR (
              NOT REGEXP_LIKE(t_currency, '^[A-Z]{3}$')
            )
            OR (
              NOT t_currency IN (
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
          )
        ),
        FALSE
      )
      THEN 'invalid_currency'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_status IS NULL
          AND (
            (
              COALESCE(
                LEFT(t_status, 1) IN ('[', '{')
                AND NOT TRY_PARSE_JSON(
                  REGEXP_REPLACE(
                    t_status,
                    '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                    '\\1 0 '
                  ),
                  'd'
                ) IS NULL,
                FALSE
              )
            )
            OR (
              NOT t_status IN ('placed', 'shipped', 'delivered', 'cancelled', 'returned')
            )
          )
        ),
        FALSE
      )
      THEN 'invalid_status'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_region IS NULL
          AND (
            (
              COALESCE(
                LEFT(t_region, 1) IN ('[', '{')
                AND NOT TRY_PARSE_JSON(
                  REGEXP_REPLACE(
                    t_region,
                    '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                    '\\1 0 '
                  ),
                  'd'
                ) IS NULL,
                FALSE
              )
            )
          )
        ),
        FALSE
      )
      THEN 'invalid_region'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_customer_email IS NULL
          AND (
            (
              COALESCE(
                LEFT(t_customer_email, 1) IN ('[', '{')
                AND NOT TRY_PARSE_JSON(
                  REGEXP_REPLACE(
                    t_customer_email,
                    '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                    '\\1 0 '
                  ),
                  'd'
                ) IS NULL,
                FALSE
              )
            )
          )
        ),
        FALSE
      )
      THEN 'invalid_customer_email'
      WHEN COALESCE(parse_error IS NULL AND (
        CONTAINS(t_region, CHR(  0))
      ), FALSE)
      THEN 'nul_in_region'
      WHEN COALESCE(parse_error IS NULL AND (
        CONTAINS(t_customer_email, CHR(  0))
      ), FALSE)
      THEN 'nul_in_customer_email'
      WHEN COALESCE(
        parse_error IS NULL AND (
          SUBSTRING(t_region, 1, 1) IN ('=', '+', '-', '@')
        ),
        FALSE
      )
      THEN 'formula_like_region'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          SUBSTRING(t_customer_email, 1, 1) IN ('=', '+', '-', '@')
        ),
        FALSE
      )
      THEN 'formula_like_customer_email'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          (
            REGEXP_INSTR(t_region, '[^\t\n\x0b\f\r @]@[^\t\n\x0b\f\r @]') > 0
          )
        ),
        FALSE
      )
      THEN 'email_in_region'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT v_order_ts IS NULL
          AND CAST(CONVERT_TIMEZONE('UTC', v_order_ts) AS DATE) <> partition_date
        ),
        FALSE
      )
      THEN 'order_ts_outside_partition'
      WHEN COALESCE(parse_error IS NULL AND (
        v_updated_at < v_order_ts
      ), FALSE)
      THEN 'updated_at_before_order_ts'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          CASE
            WHEN v_quantity IS NULL OR v_unit_price IS NULL
            THEN NULL
            WHEN v_amount = 0
            THEN CASE WHEN v_quantity * v_unit_price = 0 THEN 0.0 ELSE CAST('inf' AS DOUBLE) END
            ELSE ROUND(ABS(v_amount - v_quantity * v_unit_price) / ABS(v_amount), 12)
          END > 0.01
        ),
        FALSE
      )
      THEN 'amount_mismatch'
    END AS rule_code,
    (
      n_order_ts OR n_updated_at
    ) AS is_naive
  FROM checked
)
SELECT
  partition_date,
  source_file,
  source_line,
  extra_columns_json,
  t_order_id,
  t_customer_id,
  v_order_ts,
  v_amount,
  t_currency,
  v_quantity,
  v_unit_price,
  t_status,
  t_region,
  t_customer_email,
  v_updated_at,
  is_naive,
  rule_code AS reason_code,
  CASE
    WHEN NOT parse_error IS NULL
    THEN 'malformed_record: ' || parse_error
    WHEN NOT rule_code IS NULL
    THEN NULLIF(
      SUBSTRING(
        COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_order_id IS NULL
            ), FALSE)
            THEN 'missing_order_id: ' || COALESCE('required value is empty', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_customer_id IS NULL
            ), FALSE)
            THEN 'missing_customer_id: ' || COALESCE('required value is empty', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_order_ts IS NULL
            ), FALSE)
            THEN 'missing_order_ts: ' || COALESCE('required value is empty', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_amount IS NULL
            ), FALSE)
            THEN 'missing_amount: ' || COALESCE('required value is empty', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_currency IS NULL
            ), FALSE)
            THEN 'missing_currency: ' || COALESCE('required value is empty', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LENGTH(t_order_id) > 128
            ), FALSE)
            THEN 'order_id_too_long: ' || COALESCE('longer than 128', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LENGTH(t_customer_id) > 128
            ), FALSE)
            THEN 'customer_id_too_long: ' || COALESCE('longer than 128', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LENGTH(t_region) > 64
            ), FALSE)
            THEN 'region_too_long: ' || COALESCE('longer than 64', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LENGTH(t_customer_email) > 320
            ), FALSE)
            THEN 'customer_email_too_long: ' || COALESCE('longer than 320', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              NOT t_order_ts IS NULL AND v_order_ts IS NULL
            ), FALSE)
            THEN 'invalid_order_ts: ' || COALESCE(t_order_ts, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL AND (
                NOT t_updated_at IS NULL AND v_updated_at IS NULL
              ),
              FALSE
            )
            THEN 'invalid_updated_at: ' || COALESCE(t_updated_at, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              NOT t_amount IS NULL AND v_amount IS NULL
            ), FALSE)
            THEN 'invalid_amount: ' || COALESCE(t_amount, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_amount < 0
            ), FALSE)
            THEN 'negative_amount: ' || COALESCE(t_amount, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_amount > COALESCE(max_amount, 1000000)
            ), FALSE)
            THEN 'amount_out_of_range: ' || COALESCE(
              'amount ' || t_amount || ' above the ' || CASE
                WHEN max_amount IS NULL
                THEN 'default bound 1000000 (' || COALESCE(t_currency, 'no currency') || ')'
                ELSE t_currency || ' bound ' || CASE max_amount
                  WHEN 100000000
                  THEN '100000000'
                  WHEN 1000000000
                  THEN '1000000000'
                  WHEN 10000000000
                  THEN '10000000000'
                  WHEN 100000000000
                  THEN '100000000000'
                  WHEN 10000000000000
                  THEN '10000000000000'
                END
              END,
              'null'
            )
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              NOT t_quantity IS NULL AND v_quantity IS NULL
            ), FALSE)
            THEN 'invalid_quantity: ' || COALESCE(t_quantity, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_quantity < 1
            ), FALSE)
            THEN 'quantity_below_minimum: ' || COALESCE(t_quantity, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_quantity > 100000
            ), FALSE)
            THEN 'quantity_out_of_range: ' || COALESCE(t_quantity, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL AND (
                NOT t_unit_price IS NULL AND v_unit_price IS NULL
              ),
              FALSE
            )
            THEN 'invalid_unit_price: ' || COALESCE(t_unit_price, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_unit_price < 0
            ), FALSE)
            THEN 'negative_unit_price: ' || COALESCE(t_unit_price, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL AND (
                v_unit_price > COALESCE(max_unit_price, 1000000)
              ),
              FALSE
            )
            THEN 'unit_price_out_of_range: ' || COALESCE(
              'unit_price ' || t_unit_price || ' above the ' || CASE
                WHEN max_unit_price IS NULL
                THEN 'default bound 1000000 (' || COALESCE(t_currency, 'no currency') || ')'
                ELSE t_currency || ' bound ' || CASE max_unit_price
                  WHEN 100000000
                  THEN '100000000'
                  WHEN 1000000000
                  THEN '1000000000'
                  WHEN 10000000000
                  THEN '10000000000'
                  WHEN 100000000000
                  THEN '100000000000'
                  WHEN 10000000000000
                  THEN '10000000000000'
                END
              END,
              'null'
            )
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_order_id IS NULL
                AND (
                  (
                    COALESCE(
                      LEFT(t_order_id, 1) IN ('[', '{')
                      AND NOT TRY_PARSE_JSON(
                        REGEXP_REPLACE(
                          t_order_id,
                          '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                          '\\1 0 '
                        ),
                        'd'
                      ) IS NULL,
                      FALSE
                    )
                  )
                  OR (
                    NOT REGEXP_LIKE(t_order_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
                  )
                )
              ),
              FALSE
            )
            THEN 'invalid_order_id: ' || COALESCE(t_order_id, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_customer_id IS NULL
                AND (
                  (
                    COALESCE(
                      LEFT(t_customer_id, 1) IN ('[', '{')
                      AND NOT TRY_PARSE_JSON(
                        REGEXP_REPLACE(
                          t_customer_id,
                          '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                          '\\1 0 '
                        ),
                        'd'
                      ) IS NULL,
                      FALSE
                    )
                  )
                  OR (
                    NOT REGEXP_LIKE(t_customer_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
                  )
                )
              ),
              FALSE
            )
            THEN 'invalid_customer_id: ' || COALESCE(t_customer_id, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_currency IS NULL
                AND (
                  (
                    COALESCE(
                      LEFT(t_currency, 1) IN ('[', '{')
                      AND NOT TRY_PARSE_JSON(
                        REGEXP_REPLACE(
                          t_currency,
                          '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                          '\\1 0 '
                        ),
                        'd'
                      ) IS NULL,
                      FALSE
                    )
                  )
                  OR (
                    NOT REGEXP_LIKE(t_currency, '^[A-Z]{3}$')
                  )
                  OR (
                    NOT t_currency IN (
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
                )
              ),
              FALSE
            )
            THEN 'invalid_currency: ' || COALESCE(t_currency, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_status IS NULL
                AND (
                  (
                    COALESCE(
                      LEFT(t_status, 1) IN ('[', '{')
                      AND NOT TRY_PARSE_JSON(
                        REGEXP_REPLACE(
                          t_status,
                          '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                          '\\1 0 '
                        ),
                        'd'
                      ) IS NULL,
                      FALSE
                    )
                  )
                  OR (
                    NOT t_status IN ('placed', 'shipped', 'delivered', 'cancelled', 'returned')
                  )
                )
              ),
              FALSE
            )
            THEN 'invalid_status: ' || COALESCE(t_status, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_region IS NULL
                AND (
                  (
                    COALESCE(
                      LEFT(t_region, 1) IN ('[', '{')
                      AND NOT TRY_PARSE_JSON(
                        REGEXP_REPLACE(
                          t_region,
                          '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                          '\\1 0 '
                        ),
                        'd'
                      ) IS NULL,
                      FALSE
                    )
                  )
                )
              ),
              FALSE
            )
            THEN 'invalid_region: ' || COALESCE(t_region, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_customer_email IS NULL
                AND (
                  (
                    COALESCE(
                      LEFT(t_customer_email, 1) IN ('[', '{')
                      AND NOT TRY_PARSE_JSON(
                        REGEXP_REPLACE(
                          t_customer_email,
                          '([[,:][ \t\n\r]*)-?([Nn][Aa][Nn]|[Ii][Nn][Ff]([Ii][Nn][Ii][Tt][Yy])?)',
                          '\\1 0 '
                        ),
                        'd'
                      ) IS NULL,
                      FALSE
                    )
                  )
                )
              ),
              FALSE
            )
            THEN 'invalid_customer_email: ' || COALESCE(t_customer_email, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              CONTAINS(t_region, CHR(  0))
            ), FALSE)
            THEN 'nul_in_region: ' || COALESCE('holds a NUL character (U+0000): never published in a text column', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              CONTAINS(t_customer_email, CHR(  0))
            ), FALSE)
            THEN 'nul_in_customer_email: ' || COALESCE('holds a NUL character (U+0000): never published in a text column', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL AND (
                SUBSTRING(t_region, 1, 1) IN ('=', '+', '-', '@')
              ),
              FALSE
            )
            THEN 'formula_like_region: ' || COALESCE(t_region, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                SUBSTRING(t_customer_email, 1, 1) IN ('=', '+', '-', '@')
              ),
              FALSE
            )
            THEN 'formula_like_customer_email: ' || COALESCE(t_customer_email, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                (
                  REGEXP_INSTR(t_region, '[^\t\n\x0b\f\r @]@[^\t\n\x0b\f\r @]') > 0
                )
              ),
              FALSE
            )
            THEN 'email_in_region: ' || COALESCE('holds an e-mail address (PII is published only as a keyed hash)', 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT v_order_ts IS NULL
                AND CAST(CONVERT_TIMEZONE('UTC', v_order_ts) AS DATE) <> partition_date
              ),
              FALSE
            )
            THEN 'order_ts_outside_partition: ' || COALESCE(
              'UTC date ' || CAST(CAST(CONVERT_TIMEZONE('UTC', v_order_ts) AS DATE) AS VARCHAR) || ' in partition ' || CAST(partition_date AS VARCHAR),
              'null'
            )
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_updated_at < v_order_ts
            ), FALSE)
            THEN 'updated_at_before_order_ts: ' || COALESCE(t_updated_at, 'null')
          END,
          ''
        ) || COALESCE(
          '; ' || CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                CASE
                  WHEN v_quantity IS NULL OR v_unit_price IS NULL
                  THEN NULL
                  WHEN v_amount = 0
                  THEN CASE WHEN v_quantity * v_unit_price = 0 THEN 0.0 ELSE CAST('inf' AS DOUBLE) END
                  ELSE ROUND(ABS(v_amount - v_quantity * v_unit_price) / ABS(v_amount), 12)
                END > 0.01
              ),
              FALSE
            )
            THEN 'amount_mismatch: ' || COALESCE(
              'amount ' || t_amount || ' vs quantity x unit_price ' || CASE
                WHEN ABS(v_quantity * v_unit_price) < 1e20
                THEN CAST(CAST(ROUND(v_quantity * v_unit_price, 6) AS DECIMAL(38, 6)) AS VARCHAR)
                ELSE CAST(v_quantity * v_unit_price AS VARCHAR)
              END,
              'null'
            )
          END,
          ''
        ),
        LENGTH('; ') + 1
      ),
      ''
    )
  END AS reason_detail, /* the detail of every broken rule, built for the rejected rows only */
  CASE WHEN rule_code IS NULL THEN TRUE END AS is_current
FROM judged
