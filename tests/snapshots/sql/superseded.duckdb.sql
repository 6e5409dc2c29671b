SELECT
  t_order_id AS order_id,
  t_customer_id AS customer_id,
  v_order_ts AS order_ts,
  CAST(TIMEZONE('UTC', v_order_ts) AS DATE) AS order_date,
  v_amount AS amount,
  t_currency AS currency,
  CAST(ROUND(v_quantity) AS BIGINT) AS quantity,
  v_unit_price AS unit_price,
  t_status AS status,
  t_region AS region,
  SHA256(
    orders_hmac_pads.pad_out || UNHEX(SHA256(orders_hmac_pads.pad_in || ENCODE(LOWER(t_customer_email))))
  ) AS customer_email_hash,
  COALESCE(v_updated_at, v_order_ts) AS updated_at,
  extra_columns_json AS extra_columns_json,
  source_file AS source_file,
  source_line AS source_line,
  partition_date AS partition_date
FROM orders_classified
CROSS JOIN orders_hmac_pads
WHERE
  reason_code IS NULL AND NOT is_current
