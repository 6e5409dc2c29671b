SELECT
  order_id,
  customer_id,
  order_ts,
  amount,
  currency,
  quantity,
  unit_price,
  status,
  region,
  customer_email,
  updated_at,
  extra_columns_json,
  pii_extra_columns_json,
  parse_error,
  raw_record,
  source_file,
  source_line,
  source_format,
  file_header,
  partition_date,
  reason_code,
  reason_detail
FROM orders_classified
WHERE
  NOT reason_code IS NULL
