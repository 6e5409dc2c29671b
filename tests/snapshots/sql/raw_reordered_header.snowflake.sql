UPDATE raw.raw_orders AS landed SET parse_error = 'header_reordered: line ' || CAST(header.line AS VARCHAR) || ' repeats the file\'s header with its columns in another order (files concatenated?): it and the records after it are not read with the file\'s header'
FROM (
  SELECT
    source_file,
    MIN(source_line) AS line
  FROM raw.raw_orders
  WHERE
    partition_date BETWEEN ? AND ?
    AND parse_error IS NULL
    AND (
      order_id IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(order_id AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      customer_id IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(customer_id AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      order_ts IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(order_ts AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      amount IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      currency IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(currency AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      quantity IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(quantity AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      unit_price IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(unit_price AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      status IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(status AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      region IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(region AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      customer_email IS NULL
      OR LOWER(
        NULLIF(
          TRIM(
            CAST(customer_email AS VARCHAR),
            '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'
          ),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND (
      updated_at IS NULL
      OR LOWER(
        NULLIF(
          TRIM(CAST(updated_at AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN (
        'order_id',
        'order id',
        'order-id',
        'customer_id',
        'customer id',
        'customer-id',
        'order_ts',
        'order ts',
        'order-ts',
        'amount',
        'currency',
        'quantity',
        'unit_price',
        'unit price',
        'unit-price',
        'status',
        'region',
        'customer_email',
        'customer email',
        'customer-email',
        'updated_at',
        'updated at',
        'updated-at'
      )
    )
    AND CASE WHEN order_id IS NULL THEN 0 ELSE 1 END + CASE WHEN customer_id IS NULL THEN 0 ELSE 1 END + CASE WHEN order_ts IS NULL THEN 0 ELSE 1 END + CASE WHEN amount IS NULL THEN 0 ELSE 1 END + CASE WHEN currency IS NULL THEN 0 ELSE 1 END + CASE WHEN quantity IS NULL THEN 0 ELSE 1 END + CASE WHEN unit_price IS NULL THEN 0 ELSE 1 END + CASE WHEN status IS NULL THEN 0 ELSE 1 END + CASE WHEN region IS NULL THEN 0 ELSE 1 END + CASE WHEN customer_email IS NULL THEN 0 ELSE 1 END + CASE WHEN updated_at IS NULL THEN 0 ELSE 1 END >= 2
    AND (
      NOT LOWER(
        NULLIF(
          TRIM(CAST(order_id AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('order_id', 'order id', 'order-id')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(customer_id AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('customer_id', 'customer id', 'customer-id')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(order_ts AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('order_ts', 'order ts', 'order-ts')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(amount AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('amount')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(currency AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('currency')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(quantity AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('quantity')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(unit_price AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('unit_price', 'unit price', 'unit-price')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(status AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('status')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(region AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('region')
      OR NOT LOWER(
        NULLIF(
          TRIM(
            CAST(customer_email AS VARCHAR),
            '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'
          ),
          ''
        )
      ) IN ('customer_email', 'customer email', 'customer-email')
      OR NOT LOWER(
        NULLIF(
          TRIM(CAST(updated_at AS VARCHAR), '\t\n\x0b\f\r\x1c\x1d\x1e\x1f                  　'),
          ''
        )
      ) IN ('updated_at', 'updated at', 'updated-at')
    )
  GROUP BY
    source_file
) AS header
WHERE
  landed.source_file = header.source_file
  AND landed.source_line >= header.line
  AND landed.partition_date BETWEEN ? AND ?
  AND landed.parse_error IS NULL
