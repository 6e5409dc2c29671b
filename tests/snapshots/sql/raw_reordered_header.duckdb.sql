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
      OR LOWER(TRIM(order_id)) IN (
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
      OR LOWER(TRIM(customer_id)) IN (
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
      OR LOWER(TRIM(order_ts)) IN (
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
      OR LOWER(TRIM(amount)) IN (
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
      OR LOWER(TRIM(currency)) IN (
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
      OR LOWER(TRIM(quantity)) IN (
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
      OR LOWER(TRIM(unit_price)) IN (
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
      OR LOWER(TRIM(status)) IN (
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
      OR LOWER(TRIM(region)) IN (
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
      OR LOWER(TRIM(customer_email)) IN (
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
      OR LOWER(TRIM(updated_at)) IN (
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
      NOT LOWER(TRIM(order_id)) IN ('order_id', 'order id', 'order-id')
      OR NOT LOWER(TRIM(customer_id)) IN ('customer_id', 'customer id', 'customer-id')
      OR NOT LOWER(TRIM(order_ts)) IN ('order_ts', 'order ts', 'order-ts')
      OR NOT LOWER(TRIM(amount)) IN ('amount')
      OR NOT LOWER(TRIM(currency)) IN ('currency')
      OR NOT LOWER(TRIM(quantity)) IN ('quantity')
      OR NOT LOWER(TRIM(unit_price)) IN ('unit_price', 'unit price', 'unit-price')
      OR NOT LOWER(TRIM(status)) IN ('status')
      OR NOT LOWER(TRIM(region)) IN ('region')
      OR NOT LOWER(TRIM(customer_email)) IN ('customer_email', 'customer email', 'customer-email')
      OR NOT LOWER(TRIM(updated_at)) IN ('updated_at', 'updated at', 'updated-at')
    )
  GROUP BY
    source_file
) AS header
WHERE
  landed.source_file = header.source_file
  AND landed.source_line >= header.line
  AND landed.partition_date BETWEEN ? AND ?
  AND landed.parse_error IS NULL
