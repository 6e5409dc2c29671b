INSERT INTO staging.fx_rates (
  rate_date,
  currency,
  rate,
  reason_code,
  reason_detail,
  landed_rate_date,
  landed_currency,
  landed_rate,
  source_file,
  source_line
)
SELECT
  rate_date,
  currency,
  CASE WHEN ISFINITE(rate) THEN rate END AS rate,
  CASE
    WHEN NOT first_reason IS NULL
    THEN first_reason
    WHEN low <> high
    THEN 'conflicting_rate'
  END AS reason_code,
  CASE
    WHEN first_reason = 'malformed_record'
    THEN parse_error
    WHEN NOT first_reason IS NULL
    THEN 'landed ' || COALESCE(landed_rate_date, '<empty>') || ', ' || COALESCE(landed_currency, '<empty>') || ', ' || COALESCE(landed_rate, '<empty>')
    WHEN low <> high
    THEN 'another row gives ' || currency || ' another rate on ' || CAST(rate_date AS TEXT) || ': neither is used'
  END AS reason_detail,
  landed_rate_date,
  landed_currency,
  landed_rate,
  source_file,
  source_line
FROM (
  SELECT
    judged.*,
    MIN(CASE WHEN first_reason IS NULL THEN rate END) OVER (PARTITION BY currency, rate_date) AS low,
    MAX(CASE WHEN first_reason IS NULL THEN rate END) OVER (PARTITION BY currency, rate_date) AS high
  FROM (
    SELECT
      typed.*,
      CASE
        WHEN NOT parse_error IS NULL
        THEN 'malformed_record'
        WHEN rate_date IS NULL
        THEN 'invalid_rate_date'
        WHEN currency IS NULL
        OR NOT currency IN (
          SELECT
            member
          FROM (VALUES
            ('AED'),
            ('AFN'),
            ('ALL'),
            ('AMD'),
            ('ANG'),
            ('AOA'),
            ('ARS'),
            ('AUD'),
            ('AWG'),
            ('AZN'),
            ('BAM'),
            ('BBD'),
            ('BDT'),
            ('BGN'),
            ('BHD'),
            ('BIF'),
            ('BMD'),
            ('BND'),
            ('BOB'),
            ('BRL'),
            ('BSD'),
            ('BTN'),
            ('BWP'),
            ('BYN'),
            ('BZD'),
            ('CAD'),
            ('CDF'),
            ('CHF'),
            ('CLP'),
            ('CNY'),
            ('COP'),
            ('CRC'),
            ('CUP'),
            ('CVE'),
            ('CZK'),
            ('DJF'),
            ('DKK'),
            ('DOP'),
            ('DZD'),
            ('EGP'),
            ('ERN'),
            ('ETB'),
            ('EUR'),
            ('FJD'),
            ('FKP'),
            ('GBP'),
            ('GEL'),
            ('GHS'),
            ('GIP'),
            ('GMD'),
            ('GNF'),
            ('GTQ'),
            ('GYD'),
            ('HKD'),
            ('HNL'),
            ('HTG'),
            ('HUF'),
            ('IDR'),
            ('ILS'),
            ('INR'),
            ('IQD'),
            ('IRR'),
            ('ISK'),
            ('JMD'),
            ('JOD'),
            ('JPY'),
            ('KES'),
            ('KGS'),
            ('KHR'),
            ('KMF'),
            ('KPW'),
            ('KRW'),
            ('KWD'),
            ('KYD'),
            ('KZT'),
            ('LAK'),
            ('LBP'),
            ('LKR'),
            ('LRD'),
            ('LSL'),
            ('LYD'),
            ('MAD'),
            ('MDL'),
            ('MGA'),
            ('MKD'),
            ('MMK'),
            ('MNT'),
            ('MOP'),
            ('MRU'),
            ('MUR'),
            ('MVR'),
            ('MWK'),
            ('MXN'),
            ('MYR'),
            ('MZN'),
            ('NAD'),
            ('NGN'),
            ('NIO'),
            ('NOK'),
            ('NPR'),
            ('NZD'),
            ('OMR'),
            ('PAB'),
            ('PEN'),
            ('PGK'),
            ('PHP'),
            ('PKR'),
            ('PLN'),
            ('PYG'),
            ('QAR'),
            ('RON'),
            ('RSD'),
            ('RUB'),
            ('RWF'),
            ('SAR'),
            ('SBD'),
            ('SCR'),
            ('SDG'),
            ('SEK'),
            ('SGD'),
            ('SHP'),
            ('SLE'),
            ('SOS'),
            ('SRD'),
            ('SSP'),
            ('STN'),
            ('SVC'),
            ('SYP'),
            ('SZL'),
            ('THB'),
            ('TJS'),
            ('TMT'),
            ('TND'),
            ('TOP'),
            ('TRY'),
            ('TTD'),
            ('TWD'),
            ('TZS'),
            ('UAH'),
            ('UGX'),
            ('USD'),
            ('UYU'),
            ('UZS'),
            ('VED'),
            ('VES'),
            ('VND'),
            ('VUV'),
            ('WST'),
            ('XAF'),
            ('XCD'),
            ('XCG'),
            ('XOF'),
            ('XPF'),
            ('YER'),
            ('ZAR'),
            ('ZMW'),
            ('ZWG')) AS value_set(member)
        )
        THEN 'unknown_currency'
        WHEN rate IS NULL OR NOT ISFINITE(rate) OR rate <= 0
        THEN 'invalid_rate'
        WHEN currency = 'USD' AND rate <> 1
        THEN 'reporting_currency_rate'
      END AS first_reason
    FROM (
      SELECT
        landed_rate_date,
        landed_currency,
        landed_rate,
        source_file,
        source_line,
        parse_error,
        CASE
          WHEN REGEXP_FULL_MATCH(
            NULLIF(
              CASE
                WHEN CONTAINS('	
                  　', SUBSTRING(landed_rate_date, 1, 1))
                OR CONTAINS('	
                  　', SUBSTRING(landed_rate_date, -1))
                THEN TRIM(landed_rate_date, '	
                  　')
                ELSE landed_rate_date
              END,
              ''
            ),
            '([0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])'
          )
          THEN TRY_CAST(NULLIF(
            CASE
              WHEN CONTAINS('	
                  　', SUBSTRING(landed_rate_date, 1, 1))
              OR CONTAINS('	
                  　', SUBSTRING(landed_rate_date, -1))
              THEN TRIM(landed_rate_date, '	
                  　')
              ELSE landed_rate_date
            END,
            ''
          ) AS DATE)
        END AS rate_date,
        CASE
          WHEN REGEXP_FULL_MATCH(
            NULLIF(
              CASE
                WHEN CONTAINS('	
                  　', SUBSTRING(landed_currency, 1, 1))
                OR CONTAINS('	
                  　', SUBSTRING(landed_currency, -1))
                THEN TRIM(landed_currency, '	
                  　')
                ELSE landed_currency
              END,
              ''
            ),
            '^[A-Za-z]+$'
          )
          THEN UPPER(
            NULLIF(
              CASE
                WHEN CONTAINS('	
                  　', SUBSTRING(landed_currency, 1, 1))
                OR CONTAINS('	
                  　', SUBSTRING(landed_currency, -1))
                THEN TRIM(landed_currency, '	
                  　')
                ELSE landed_currency
              END,
              ''
            )
          )
          ELSE NULLIF(
            CASE
              WHEN CONTAINS('	
                  　', SUBSTRING(landed_currency, 1, 1))
              OR CONTAINS('	
                  　', SUBSTRING(landed_currency, -1))
              THEN TRIM(landed_currency, '	
                  　')
              ELSE landed_currency
            END,
            ''
          )
        END AS currency,
        CASE
          WHEN REGEXP_FULL_MATCH(
            NULLIF(
              CASE
                WHEN CONTAINS('	
                  　', SUBSTRING(landed_rate, 1, 1))
                OR CONTAINS('	
                  　', SUBSTRING(landed_rate, -1))
                THEN TRIM(landed_rate, '	
                  　')
                ELSE landed_rate
              END,
              ''
            ),
            '[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?'
          )
          THEN TRY_CAST(NULLIF(
            CASE
              WHEN CONTAINS('	
                  　', SUBSTRING(landed_rate, 1, 1))
              OR CONTAINS('	
                  　', SUBSTRING(landed_rate, -1))
              THEN TRIM(landed_rate, '	
                  　')
              ELSE landed_rate
            END,
            ''
          ) AS DOUBLE)
        END AS rate
      FROM fx_rates_load
    ) AS typed
  ) AS judged
) AS spread
