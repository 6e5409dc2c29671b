SELECT
  raw.order_id,
  raw.customer_id,
  raw.order_ts,
  raw.amount,
  raw.currency,
  raw.quantity,
  raw.unit_price,
  raw.status,
  raw.region,
  raw.customer_email,
  raw.updated_at,
  raw.extra_columns_json,
  raw.pii_extra_columns_json,
  raw.parse_error,
  raw.raw_record,
  raw.source_file,
  raw.source_line,
  raw.source_format,
  raw.file_header,
  raw.partition_date,
  verdict.reason_code,
  verdict.reason_detail
FROM orders_classified AS verdict
JOIN (
  SELECT
    *
  FROM raw.raw_orders
  WHERE
    partition_date BETWEEN ? AND ?
) AS raw
  ON raw.partition_date = verdict.partition_date
  AND raw.source_file = verdict.source_file
  AND raw.source_line = verdict.source_line
WHERE
  NOT verdict.reason_code IS NULL
