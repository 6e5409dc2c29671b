WITH texts AS (
  SELECT
    raw.*,
    NULLIF(TRIM(order_id, '	
                  　'), '') AS t_order_id,
    NULLIF(TRIM(customer_id, '	
                  　'), '') AS t_customer_id,
    NULLIF(TRIM(order_ts, '	
                  　'), '') AS t_order_ts,
    NULLIF(TRIM(amount, '	
                  　'), '') AS t_amount,
    UPPER(NULLIF(TRIM(currency, '	
                  　'), '')) AS t_currency,
    NULLIF(TRIM(quantity, '	
                  　'), '') AS t_quantity,
    NULLIF(TRIM(unit_price, '	
                  　'), '') AS t_unit_price,
    LOWER(NULLIF(TRIM(status, '	
                  　'), '')) AS t_status,
    NULLIF(TRIM(region, '	
                  　'), '') AS t_region,
    NULLIF(TRIM(customer_email, '	
                  　'), '') AS t_customer_email,
    NULLIF(TRIM(updated_at, '	
                  　'), '') AS t_updated_at
  FROM raw.raw_orders AS raw
  WHERE
    partition_date BETWEEN ? AND ?
), typed AS (
  SELECT
    texts.*,
    CASE
      WHEN REGEXP_FULL_MATCH(
        UPPER(t_order_ts),
        '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$'
      )
      THEN TRY_CAST(UPPER(t_order_ts) AS TIMESTAMPTZ)
    END AS v_order_ts,
    COALESCE(
      NOT t_order_ts IS NULL
      AND NOT REGEXP_FULL_MATCH(
        UPPER(t_order_ts),
        '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$'
      ),
      FALSE
    ) AS n_order_ts,
    CASE
      WHEN REGEXP_FULL_MATCH(t_amount, '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$')
      THEN TRY_CAST(t_amount AS DOUBLE)
    END AS d_amount,
    CASE
      WHEN REGEXP_FULL_MATCH(t_quantity, '^[+]?[0-9]+(\.0*)?$')
      THEN TRY_CAST(t_quantity AS DOUBLE)
    END AS d_quantity,
    CASE
      WHEN REGEXP_FULL_MATCH(t_unit_price, '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$')
      THEN TRY_CAST(t_unit_price AS DOUBLE)
    END AS d_unit_price,
    CASE
      WHEN REGEXP_FULL_MATCH(
        UPPER(t_updated_at),
        '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$'
      )
      THEN TRY_CAST(UPPER(t_updated_at) AS TIMESTAMPTZ)
    END AS v_updated_at,
    COALESCE(
      NOT t_updated_at IS NULL
      AND NOT REGEXP_FULL_MATCH(
        UPPER(t_updated_at),
        '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)$'
      ),
      FALSE
    ) AS n_updated_at
  FROM texts
), numbers AS (
  SELECT
    typed.*,
    CASE
      WHEN ISFINITE(d_amount)
      AND NOT (
        d_amount = 0 AND REGEXP_FULL_MATCH(t_amount, '^[^eE]*[1-9].*$')
      )
      THEN d_amount + 0.0
    END AS v_amount,
    CASE
      WHEN ISFINITE(d_quantity)
      AND NOT (
        d_quantity = 0 AND REGEXP_FULL_MATCH(t_quantity, '^[^eE]*[1-9].*$')
      )
      THEN d_quantity + 0.0
    END AS v_quantity,
    CASE
      WHEN ISFINITE(d_unit_price)
      AND NOT (
        d_unit_price = 0 AND REGEXP_FULL_MATCH(t_unit_price, '^[^eE]*[1-9].*$')
      )
      THEN d_unit_price + 0.0
    END AS v_unit_price
  FROM typed
), flagged AS (
  SELECT
    numbers.*,
    COALESCE(
      COALESCE(LEFT(t_order_id, 1) IN ('[', '{') AND JSON_VALID(t_order_id), FALSE),
      FALSE
    ) AS m_order_id,
    COALESCE(
      COALESCE(LEFT(t_customer_id, 1) IN ('[', '{') AND JSON_VALID(t_customer_id), FALSE),
      FALSE
    ) AS m_customer_id,
    (
      NOT t_order_ts IS NULL AND v_order_ts IS NULL
    ) AS m_order_ts,
    (
      NOT t_amount IS NULL AND v_amount IS NULL
    ) AS m_amount,
    COALESCE(
      COALESCE(LEFT(t_currency, 1) IN ('[', '{') AND JSON_VALID(t_currency), FALSE),
      FALSE
    ) AS m_currency,
    (
      NOT t_quantity IS NULL AND v_quantity IS NULL
    ) AS m_quantity,
    (
      NOT t_unit_price IS NULL AND v_unit_price IS NULL
    ) AS m_unit_price,
    COALESCE(COALESCE(LEFT(t_status, 1) IN ('[', '{') AND JSON_VALID(t_status), FALSE), FALSE) AS m_status,
    COALESCE(COALESCE(LEFT(t_region, 1) IN ('[', '{') AND JSON_VALID(t_region), FALSE), FALSE) AS m_region,
    COALESCE(
      COALESCE(LEFT(t_customer_email, 1) IN ('[', '{') AND JSON_VALID(t_customer_email), FALSE),
      FALSE
    ) AS m_customer_email,
    (
      NOT t_updated_at IS NULL AND v_updated_at IS NULL
    ) AS m_updated_at
  FROM numbers
), checked AS (
  SELECT
    flagged.*,
    COALESCE(
      NOT t_order_id IS NULL
      AND NOT m_order_id
      AND REGEXP_FULL_MATCH(t_order_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$'),
      FALSE
    ) AS ok_order_id,
    COALESCE(
      NOT t_customer_id IS NULL
      AND NOT m_customer_id
      AND REGEXP_FULL_MATCH(t_customer_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$'),
      FALSE
    ) AS ok_customer_id,
    COALESCE(NOT t_order_ts IS NULL AND NOT m_order_ts, FALSE) AS ok_order_ts,
    COALESCE(NOT t_amount IS NULL AND NOT m_amount, FALSE) AS ok_amount,
    COALESCE(
      NOT t_currency IS NULL
      AND NOT m_currency
      AND REGEXP_FULL_MATCH(t_currency, '^[A-Z]{3}$')
      AND t_currency IN (
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
      ),
      FALSE
    ) AS ok_currency,
    COALESCE(NOT t_quantity IS NULL AND NOT m_quantity, FALSE) AS ok_quantity,
    COALESCE(NOT t_unit_price IS NULL AND NOT m_unit_price, FALSE) AS ok_unit_price,
    COALESCE(
      NOT t_status IS NULL
      AND NOT m_status
      AND t_status IN ('placed', 'shipped', 'delivered', 'cancelled', 'returned'),
      FALSE
    ) AS ok_status,
    COALESCE(NOT t_region IS NULL AND NOT m_region, FALSE) AS ok_region,
    COALESCE(NOT t_customer_email IS NULL AND NOT m_customer_email, FALSE) AS ok_customer_email,
    COALESCE(NOT t_updated_at IS NULL AND NOT m_updated_at, FALSE) AS ok_updated_at
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
        v_amount > 1000000
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
      WHEN COALESCE(parse_error IS NULL AND (
        v_unit_price > 1000000
      ), FALSE)
      THEN 'unit_price_out_of_range'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          COALESCE(LEFT(t_order_id, 1) IN ('[', '{') AND JSON_VALID(t_order_id), FALSE)
        ),
        FALSE
      )
      THEN 'invalid_order_id'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_order_id IS NULL
          AND NOT REGEXP_FULL_MATCH(t_order_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
        ),
        FALSE
      )
      THEN 'invalid_order_id'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          COALESCE(LEFT(t_customer_id, 1) IN ('[', '{') AND JSON_VALID(t_customer_id), FALSE)
        ),
        FALSE
      )
      THEN 'invalid_customer_id'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_customer_id IS NULL
          AND NOT REGEXP_FULL_MATCH(t_customer_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
        ),
        FALSE
      )
      THEN 'invalid_customer_id'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          COALESCE(LEFT(t_currency, 1) IN ('[', '{') AND JSON_VALID(t_currency), FALSE)
        ),
        FALSE
      )
      THEN 'invalid_currency'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_currency IS NULL AND NOT REGEXP_FULL_MATCH(t_currency, '^[A-Z]{3}$')
        ),
        FALSE
      )
      THEN 'invalid_currency'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_currency IS NULL
          AND NOT t_currency IN (
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
        ),
        FALSE
      )
      THEN 'invalid_currency'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          COALESCE(LEFT(t_status, 1) IN ('[', '{') AND JSON_VALID(t_status), FALSE)
        ),
        FALSE
      )
      THEN 'invalid_status'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT t_status IS NULL
          AND NOT t_status IN ('placed', 'shipped', 'delivered', 'cancelled', 'returned')
        ),
        FALSE
      )
      THEN 'invalid_status'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          COALESCE(LEFT(t_region, 1) IN ('[', '{') AND JSON_VALID(t_region), FALSE)
        ),
        FALSE
      )
      THEN 'invalid_region'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          COALESCE(LEFT(t_customer_email, 1) IN ('[', '{') AND JSON_VALID(t_customer_email), FALSE)
        ),
        FALSE
      )
      THEN 'invalid_customer_email'
      WHEN COALESCE(parse_error IS NULL AND (
        LEFT(t_region, 1) IN ('=', '+', '-', '@')
      ), FALSE)
      THEN 'formula_like_region'
      WHEN COALESCE(
        parse_error IS NULL AND (
          LEFT(t_customer_email, 1) IN ('=', '+', '-', '@')
        ),
        FALSE
      )
      THEN 'formula_like_customer_email'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          REGEXP_FULL_MATCH(t_region, '^.*[A-Za-z0-9._%+!#$&*/=?^`{|}~-]+@[A-Za-z0-9-]+.*$')
        ),
        FALSE
      )
      THEN 'email_in_region'
      WHEN COALESCE(
        parse_error IS NULL
        AND (
          NOT v_order_ts IS NULL
          AND CAST(TIMEZONE('UTC', v_order_ts) AS DATE) <> partition_date
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
          ABS(v_amount - v_quantity * v_unit_price) > 0.01 * ABS(v_amount)
        ),
        FALSE
      )
      THEN 'amount_mismatch'
    END AS rule_code,
    CASE
      WHEN NOT parse_error IS NULL
      THEN 'malformed_record: ' || parse_error
      ELSE NULLIF(
        CONCAT_WS(
          '; ',
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_order_id IS NULL
            ), FALSE)
            THEN 'missing_order_id: ' || COALESCE('required value is empty', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_customer_id IS NULL
            ), FALSE)
            THEN 'missing_customer_id: ' || COALESCE('required value is empty', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_order_ts IS NULL
            ), FALSE)
            THEN 'missing_order_ts: ' || COALESCE('required value is empty', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_amount IS NULL
            ), FALSE)
            THEN 'missing_amount: ' || COALESCE('required value is empty', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              t_currency IS NULL
            ), FALSE)
            THEN 'missing_currency: ' || COALESCE('required value is empty', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LENGTH(t_order_id) > 128
            ), FALSE)
            THEN 'order_id_too_long: ' || COALESCE('longer than 128', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LENGTH(t_customer_id) > 128
            ), FALSE)
            THEN 'customer_id_too_long: ' || COALESCE('longer than 128', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LENGTH(t_region) > 64
            ), FALSE)
            THEN 'region_too_long: ' || COALESCE('longer than 64', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LENGTH(t_customer_email) > 320
            ), FALSE)
            THEN 'customer_email_too_long: ' || COALESCE('longer than 320', 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              NOT t_order_ts IS NULL AND v_order_ts IS NULL
            ), FALSE)
            THEN 'invalid_order_ts: ' || COALESCE(t_order_ts, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL AND (
                NOT t_updated_at IS NULL AND v_updated_at IS NULL
              ),
              FALSE
            )
            THEN 'invalid_updated_at: ' || COALESCE(t_updated_at, 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              NOT t_amount IS NULL AND v_amount IS NULL
            ), FALSE)
            THEN 'invalid_amount: ' || COALESCE(t_amount, 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_amount < 0
            ), FALSE)
            THEN 'negative_amount: ' || COALESCE(CAST(v_amount AS TEXT), 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_amount > 1000000
            ), FALSE)
            THEN 'amount_out_of_range: ' || COALESCE(CAST(v_amount AS TEXT), 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              NOT t_quantity IS NULL AND v_quantity IS NULL
            ), FALSE)
            THEN 'invalid_quantity: ' || COALESCE(t_quantity, 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_quantity < 1
            ), FALSE)
            THEN 'quantity_below_minimum: ' || COALESCE(CAST(v_quantity AS TEXT), 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_quantity > 100000
            ), FALSE)
            THEN 'quantity_out_of_range: ' || COALESCE(CAST(v_quantity AS TEXT), 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL AND (
                NOT t_unit_price IS NULL AND v_unit_price IS NULL
              ),
              FALSE
            )
            THEN 'invalid_unit_price: ' || COALESCE(t_unit_price, 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_unit_price < 0
            ), FALSE)
            THEN 'negative_unit_price: ' || COALESCE(CAST(v_unit_price AS TEXT), 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_unit_price > 1000000
            ), FALSE)
            THEN 'unit_price_out_of_range: ' || COALESCE(CAST(v_unit_price AS TEXT), 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                COALESCE(LEFT(t_order_id, 1) IN ('[', '{') AND JSON_VALID(t_order_id), FALSE)
              ),
              FALSE
            )
            THEN 'invalid_order_id: ' || COALESCE(t_order_id, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_order_id IS NULL
                AND NOT REGEXP_FULL_MATCH(t_order_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
              ),
              FALSE
            )
            THEN 'invalid_order_id: ' || COALESCE(t_order_id, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                COALESCE(LEFT(t_customer_id, 1) IN ('[', '{') AND JSON_VALID(t_customer_id), FALSE)
              ),
              FALSE
            )
            THEN 'invalid_customer_id: ' || COALESCE(t_customer_id, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_customer_id IS NULL
                AND NOT REGEXP_FULL_MATCH(t_customer_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
              ),
              FALSE
            )
            THEN 'invalid_customer_id: ' || COALESCE(t_customer_id, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                COALESCE(LEFT(t_currency, 1) IN ('[', '{') AND JSON_VALID(t_currency), FALSE)
              ),
              FALSE
            )
            THEN 'invalid_currency: ' || COALESCE(t_currency, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_currency IS NULL AND NOT REGEXP_FULL_MATCH(t_currency, '^[A-Z]{3}$')
              ),
              FALSE
            )
            THEN 'invalid_currency: ' || COALESCE(t_currency, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_currency IS NULL
                AND NOT t_currency IN (
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
              ),
              FALSE
            )
            THEN 'invalid_currency: ' || COALESCE(t_currency, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                COALESCE(LEFT(t_status, 1) IN ('[', '{') AND JSON_VALID(t_status), FALSE)
              ),
              FALSE
            )
            THEN 'invalid_status: ' || COALESCE(t_status, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT t_status IS NULL
                AND NOT t_status IN ('placed', 'shipped', 'delivered', 'cancelled', 'returned')
              ),
              FALSE
            )
            THEN 'invalid_status: ' || COALESCE(t_status, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                COALESCE(LEFT(t_region, 1) IN ('[', '{') AND JSON_VALID(t_region), FALSE)
              ),
              FALSE
            )
            THEN 'invalid_region: ' || COALESCE(t_region, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                COALESCE(LEFT(t_customer_email, 1) IN ('[', '{') AND JSON_VALID(t_customer_email), FALSE)
              ),
              FALSE
            )
            THEN 'invalid_customer_email: ' || COALESCE(t_customer_email, 'null')
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              LEFT(t_region, 1) IN ('=', '+', '-', '@')
            ), FALSE)
            THEN 'formula_like_region: ' || COALESCE(t_region, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL AND (
                LEFT(t_customer_email, 1) IN ('=', '+', '-', '@')
              ),
              FALSE
            )
            THEN 'formula_like_customer_email: ' || COALESCE(t_customer_email, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                REGEXP_FULL_MATCH(t_region, '^.*[A-Za-z0-9._%+!#$&*/=?^`{|}~-]+@[A-Za-z0-9-]+.*$')
              ),
              FALSE
            )
            THEN 'email_in_region: ' || COALESCE('holds an e-mail address (PII is published only as a keyed hash)', 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                NOT v_order_ts IS NULL
                AND CAST(TIMEZONE('UTC', v_order_ts) AS DATE) <> partition_date
              ),
              FALSE
            )
            THEN 'order_ts_outside_partition: ' || COALESCE(
              'UTC date ' || CAST(CAST(TIMEZONE('UTC', v_order_ts) AS DATE) AS TEXT) || ' in partition ' || CAST(partition_date AS TEXT),
              'null'
            )
          END,
          CASE
            WHEN COALESCE(parse_error IS NULL AND (
              v_updated_at < v_order_ts
            ), FALSE)
            THEN 'updated_at_before_order_ts: ' || COALESCE(t_updated_at, 'null')
          END,
          CASE
            WHEN COALESCE(
              parse_error IS NULL
              AND (
                ABS(v_amount - v_quantity * v_unit_price) > 0.01 * ABS(v_amount)
              ),
              FALSE
            )
            THEN 'amount_mismatch: ' || COALESCE(
              'amount ' || t_amount || ' vs quantity x unit_price ' || CAST(ROUND(v_quantity * v_unit_price, 6) AS TEXT),
              'null'
            )
          END
        ),
        ''
      )
    END AS rule_detail,
    (
      n_order_ts OR n_updated_at
    ) AS is_naive,
    COALESCE(v_updated_at, v_order_ts) AS version_ts
  FROM checked
), versions AS (
  SELECT
    judged.*,
    MAX(CASE WHEN NOT rule_code IS NULL THEN version_ts END) OVER (PARTITION BY partition_date, t_order_id) AS newest_rejected_ts
  FROM judged
), held AS (
  SELECT
    versions.*,
    CASE
      WHEN rule_code IS NULL AND newest_rejected_ts >= version_ts
      THEN 'newer_version_rejected'
      ELSE rule_code
    END AS reason_code,
    CASE
      WHEN rule_code IS NULL AND newest_rejected_ts >= version_ts
      THEN 'newer_version_rejected: a version of this order of the same day with the same' || ' or a newer updated_at was quarantined; this older one is not published'
      ELSE rule_detail
    END AS reason_detail
  FROM versions
)
SELECT
  held.*,
  CASE
    WHEN reason_code IS NULL
    THEN ROW_NUMBER() OVER (
      PARTITION BY partition_date, t_order_id, reason_code IS NULL
      ORDER BY version_ts DESC, source_file DESC, source_line DESC
    ) = 1
  END AS is_current
FROM held
