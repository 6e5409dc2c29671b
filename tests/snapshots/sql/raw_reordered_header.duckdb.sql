UPDATE raw.raw_orders AS landed SET parse_error = 'header_reordered: line ' || CAST(header.line AS TEXT) || ' repeats the file''s header with its columns in another order (files concatenated?): it and the records after it are not read with the file''s header'
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(order_id, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(order_id, -1))
            THEN TRIM(order_id, '	
                  　')
            ELSE order_id
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(customer_id, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(customer_id, -1))
            THEN TRIM(customer_id, '	
                  　')
            ELSE customer_id
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(order_ts, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(order_ts, -1))
            THEN TRIM(order_ts, '	
                  　')
            ELSE order_ts
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(amount, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(amount, -1))
            THEN TRIM(amount, '	
                  　')
            ELSE amount
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(currency, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(currency, -1))
            THEN TRIM(currency, '	
                  　')
            ELSE currency
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(quantity, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(quantity, -1))
            THEN TRIM(quantity, '	
                  　')
            ELSE quantity
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(unit_price, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(unit_price, -1))
            THEN TRIM(unit_price, '	
                  　')
            ELSE unit_price
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(status, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(status, -1))
            THEN TRIM(status, '	
                  　')
            ELSE status
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(region, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(region, -1))
            THEN TRIM(region, '	
                  　')
            ELSE region
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(customer_email, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(customer_email, -1))
            THEN TRIM(customer_email, '	
                  　')
            ELSE customer_email
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(updated_at, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(updated_at, -1))
            THEN TRIM(updated_at, '	
                  　')
            ELSE updated_at
          END,
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
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(order_id, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(order_id, -1))
            THEN TRIM(order_id, '	
                  　')
            ELSE order_id
          END,
          ''
        )
      ) IN ('order_id', 'order id', 'order-id')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(customer_id, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(customer_id, -1))
            THEN TRIM(customer_id, '	
                  　')
            ELSE customer_id
          END,
          ''
        )
      ) IN ('customer_id', 'customer id', 'customer-id')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(order_ts, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(order_ts, -1))
            THEN TRIM(order_ts, '	
                  　')
            ELSE order_ts
          END,
          ''
        )
      ) IN ('order_ts', 'order ts', 'order-ts')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(amount, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(amount, -1))
            THEN TRIM(amount, '	
                  　')
            ELSE amount
          END,
          ''
        )
      ) IN ('amount')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(currency, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(currency, -1))
            THEN TRIM(currency, '	
                  　')
            ELSE currency
          END,
          ''
        )
      ) IN ('currency')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(quantity, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(quantity, -1))
            THEN TRIM(quantity, '	
                  　')
            ELSE quantity
          END,
          ''
        )
      ) IN ('quantity')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(unit_price, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(unit_price, -1))
            THEN TRIM(unit_price, '	
                  　')
            ELSE unit_price
          END,
          ''
        )
      ) IN ('unit_price', 'unit price', 'unit-price')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(status, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(status, -1))
            THEN TRIM(status, '	
                  　')
            ELSE status
          END,
          ''
        )
      ) IN ('status')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(region, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(region, -1))
            THEN TRIM(region, '	
                  　')
            ELSE region
          END,
          ''
        )
      ) IN ('region')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(customer_email, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(customer_email, -1))
            THEN TRIM(customer_email, '	
                  　')
            ELSE customer_email
          END,
          ''
        )
      ) IN ('customer_email', 'customer email', 'customer-email')
      OR NOT LOWER(
        NULLIF(
          CASE
            WHEN CONTAINS('	
                  　', SUBSTRING(updated_at, 1, 1))
            OR CONTAINS('	
                  　', SUBSTRING(updated_at, -1))
            THEN TRIM(updated_at, '	
                  　')
            ELSE updated_at
          END,
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
