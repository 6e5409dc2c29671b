SELECT
  day_counts.partition_date,
  row_count,
  judged_0,
  unexpected_0,
  judged_1,
  unexpected_1,
  judged_2,
  unexpected_2,
  judged_3,
  unexpected_3,
  judged_4,
  unexpected_4,
  judged_5,
  unexpected_5,
  judged_6,
  COALESCE(duplicates_6.duplicated, 0) AS unexpected_6,
  judged_7,
  unexpected_7,
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
  unexpected_14,
  judged_15,
  unexpected_15,
  judged_16,
  unexpected_16,
  judged_17,
  unexpected_17,
  judged_18,
  unexpected_18,
  judged_19,
  unexpected_19,
  judged_20,
  unexpected_20,
  judged_21,
  unexpected_21,
  judged_22,
  unexpected_22,
  judged_23,
  unexpected_23,
  judged_24,
  unexpected_24,
  judged_25,
  unexpected_25,
  judged_26,
  unexpected_26,
  judged_27,
  unexpected_27,
  judged_28,
  unexpected_28,
  judged_29,
  unexpected_29,
  judged_30,
  unexpected_30,
  judged_31,
  unexpected_31,
  judged_32,
  unexpected_32
FROM (
  SELECT
    partition_date,
    COUNT(*) AS row_count,
    COUNT(*) AS judged_0,
    COUNT(CASE WHEN order_id IS NULL THEN 1 END) AS unexpected_0,
    COUNT(*) AS judged_1,
    COUNT(CASE WHEN customer_id IS NULL THEN 1 END) AS unexpected_1,
    COUNT(*) AS judged_2,
    COUNT(CASE WHEN order_ts IS NULL THEN 1 END) AS unexpected_2,
    COUNT(*) AS judged_3,
    COUNT(CASE WHEN amount IS NULL THEN 1 END) AS unexpected_3,
    COUNT(*) AS judged_4,
    COUNT(CASE WHEN currency IS NULL THEN 1 END) AS unexpected_4,
    COUNT(*) AS judged_5,
    COUNT(CASE WHEN updated_at IS NULL THEN 1 END) AS unexpected_5,
    COUNT(CASE WHEN NOT order_id IS NULL THEN 1 END) AS judged_6,
    COUNT(CASE WHEN NOT order_id IS NULL THEN 1 END) AS judged_7,
    COUNT(
      CASE
        WHEN (
          NOT order_id IS NULL
        )
        AND (
          NOT REGEXP_MATCHES(order_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
        )
        THEN 1
      END
    ) AS unexpected_7,
    COUNT(CASE WHEN NOT order_id IS NULL THEN 1 END) AS judged_8,
    COUNT(
      CASE
        WHEN (
          NOT order_id IS NULL
        )
        AND (
          LENGTH(order_id) < 1 OR LENGTH(order_id) > 128
        )
        THEN 1
      END
    ) AS unexpected_8,
    COUNT(CASE WHEN NOT customer_id IS NULL THEN 1 END) AS judged_9,
    COUNT(
      CASE
        WHEN (
          NOT customer_id IS NULL
        )
        AND (
          NOT REGEXP_MATCHES(customer_id, '^[A-Za-z0-9][A-Za-z0-9._:/#-]*$')
        )
        THEN 1
      END
    ) AS unexpected_9,
    COUNT(CASE WHEN NOT customer_id IS NULL THEN 1 END) AS judged_10,
    COUNT(
      CASE
        WHEN (
          NOT customer_id IS NULL
        )
        AND (
          LENGTH(customer_id) < 1 OR LENGTH(customer_id) > 128
        )
        THEN 1
      END
    ) AS unexpected_10,
    COUNT(CASE WHEN (
      picked_0
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_11,
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
    ) AS unexpected_11,
    COUNT(CASE WHEN (
      picked_1
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_12,
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
    ) AS unexpected_12,
    COUNT(CASE WHEN (
      picked_2
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_13,
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
    ) AS unexpected_13,
    COUNT(CASE WHEN (
      picked_3
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_14,
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
    ) AS unexpected_14,
    COUNT(CASE WHEN (
      picked_4
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_15,
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
    ) AS unexpected_15,
    COUNT(CASE WHEN (
      picked_5
    ) AND (
      NOT amount IS NULL
    ) THEN 1 END) AS judged_16,
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
    ) AS unexpected_16,
    COUNT(CASE WHEN NOT currency IS NULL THEN 1 END) AS judged_17,
    COUNT(
      CASE
        WHEN (
          NOT currency IS NULL
        )
        AND (
          NOT currency IN (
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
        )
        THEN 1
      END
    ) AS unexpected_17,
    COUNT(CASE WHEN NOT currency IS NULL THEN 1 END) AS judged_18,
    COUNT(
      CASE
        WHEN (
          NOT currency IS NULL
        ) AND (
          NOT REGEXP_MATCHES(currency, '^[A-Z]{3}$')
        )
        THEN 1
      END
    ) AS unexpected_18,
    COUNT(CASE WHEN NOT quantity IS NULL THEN 1 END) AS judged_19,
    COUNT(
      CASE
        WHEN (
          NOT quantity IS NULL
        ) AND (
          quantity < 1 OR quantity > 100000
        )
        THEN 1
      END
    ) AS unexpected_19,
    COUNT(CASE WHEN (
      picked_0
    ) AND (
      NOT unit_price IS NULL
    ) THEN 1 END) AS judged_20,
    COUNT(
      CASE
        WHEN (
          (
            picked_0
          ) AND (
            NOT unit_price IS NULL
          )
        )
        AND (
          unit_price < 0 OR unit_price > 1000000
        )
        THEN 1
      END
    ) AS unexpected_20,
    COUNT(CASE WHEN (
      picked_1
    ) AND (
      NOT unit_price IS NULL
    ) THEN 1 END) AS judged_21,
    COUNT(
      CASE
        WHEN (
          (
            picked_1
          ) AND (
            NOT unit_price IS NULL
          )
        )
        AND (
          unit_price < 0 OR unit_price > 100000000
        )
        THEN 1
      END
    ) AS unexpected_21,
    COUNT(CASE WHEN (
      picked_2
    ) AND (
      NOT unit_price IS NULL
    ) THEN 1 END) AS judged_22,
    COUNT(
      CASE
        WHEN (
          (
            picked_2
          ) AND (
            NOT unit_price IS NULL
          )
        )
        AND (
          unit_price < 0 OR unit_price > 1000000000
        )
        THEN 1
      END
    ) AS unexpected_22,
    COUNT(CASE WHEN (
      picked_3
    ) AND (
      NOT unit_price IS NULL
    ) THEN 1 END) AS judged_23,
    COUNT(
      CASE
        WHEN (
          (
            picked_3
          ) AND (
            NOT unit_price IS NULL
          )
        )
        AND (
          unit_price < 0 OR unit_price > 10000000000
        )
        THEN 1
      END
    ) AS unexpected_23,
    COUNT(CASE WHEN (
      picked_4
    ) AND (
      NOT unit_price IS NULL
    ) THEN 1 END) AS judged_24,
    COUNT(
      CASE
        WHEN (
          (
            picked_4
          ) AND (
            NOT unit_price IS NULL
          )
        )
        AND (
          unit_price < 0 OR unit_price > 100000000000
        )
        THEN 1
      END
    ) AS unexpected_24,
    COUNT(CASE WHEN (
      picked_5
    ) AND (
      NOT unit_price IS NULL
    ) THEN 1 END) AS judged_25,
    COUNT(
      CASE
        WHEN (
          (
            picked_5
          ) AND (
            NOT unit_price IS NULL
          )
        )
        AND (
          unit_price < 0 OR unit_price > 10000000000000
        )
        THEN 1
      END
    ) AS unexpected_25,
    COUNT(CASE WHEN NOT status IS NULL THEN 1 END) AS judged_26,
    COUNT(
      CASE
        WHEN (
          NOT status IS NULL
        )
        AND (
          NOT status IN (
            SELECT
              member
            FROM (VALUES
              ('placed'),
              ('shipped'),
              ('delivered'),
              ('cancelled'),
              ('returned')) AS value_set(member)
          )
        )
        THEN 1
      END
    ) AS unexpected_26,
    COUNT(CASE WHEN NOT region IS NULL THEN 1 END) AS judged_27,
    COUNT(
      CASE
        WHEN (
          NOT region IS NULL
        ) AND (
          LENGTH(region) < 1 OR LENGTH(region) > 64
        )
        THEN 1
      END
    ) AS unexpected_27,
    COUNT(CASE WHEN NOT region IS NULL THEN 1 END) AS judged_28,
    COUNT(
      CASE
        WHEN (
          NOT region IS NULL
        ) AND (
          REGEXP_MATCHES(region, '^[+=@-]')
        )
        THEN 1
      END
    ) AS unexpected_28,
    COUNT(CASE WHEN NOT order_ts_seconds_into_day IS NULL THEN 1 END) AS judged_29,
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
    ) AS unexpected_29,
    COUNT(CASE WHEN NOT (
      updated_at IS NULL AND order_ts IS NULL
    ) THEN 1 END) AS judged_30,
    COUNT(
      CASE
        WHEN (
          NOT (
            updated_at IS NULL AND order_ts IS NULL
          )
        )
        AND (
          NOT COALESCE(updated_at >= order_ts, FALSE)
        )
        THEN 1
      END
    ) AS unexpected_30,
    COUNT(CASE WHEN NOT amount_line_error IS NULL THEN 1 END) AS judged_31,
    COUNT(
      CASE
        WHEN (
          NOT amount_line_error IS NULL
        )
        AND (
          amount_line_error < 0 OR amount_line_error > 0.01
        )
        THEN 1
      END
    ) AS unexpected_31,
    COUNT(CASE WHEN NOT customer_email_hash IS NULL THEN 1 END) AS judged_32,
    COUNT(
      CASE
        WHEN (
          NOT customer_email_hash IS NULL
        )
        AND (
          NOT REGEXP_MATCHES(customer_email_hash, '^[0-9a-f]{64}$')
        )
        THEN 1
      END
    ) AS unexpected_32
  FROM (
    SELECT
      day_rows.*,
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
      ) AS picked_0,
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
      ) AS picked_1,
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
      ) AS picked_2,
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
      ) AS picked_3,
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
      ) AS picked_4,
      COALESCE(
        currency IN (
          SELECT
            member
          FROM (VALUES
            ('IRR')) AS value_set(member)
        ),
        FALSE
      ) AS picked_5
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
      FROM staging.cleaned_orders AS day_rows
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
    FROM staging.cleaned_orders AS day_rows
    JOIN (
      SELECT
        partition_date AS day,
        HASH(order_id) AS value_hash
      FROM staging.cleaned_orders
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
) AS duplicates_6
  ON duplicates_6.partition_date = day_counts.partition_date
ORDER BY
  day_counts.partition_date
