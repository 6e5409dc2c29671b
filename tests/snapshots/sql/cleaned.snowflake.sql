SELECT
  t_order_id AS order_id,
  t_customer_id AS customer_id,
  v_order_ts AS order_ts,
  CAST(CONVERT_TIMEZONE('UTC', v_order_ts) AS DATE) AS order_date,
  v_amount AS amount,
  t_currency AS currency,
  CAST(ROUND(v_quantity) AS BIGINT) AS quantity,
  v_unit_price AS unit_price,
  t_status AS status,
  t_region AS region,
  LOWER(
    SHA2(
      orders_hmac_pads.pad_out || SHA2_BINARY(orders_hmac_pads.pad_in || TO_BINARY(LOWER(t_customer_email), 'UTF-8'), 256),
      256
    )
  ) AS customer_email_hash,
  COALESCE(v_updated_at, v_order_ts) AS updated_at,
  extra_columns_json AS extra_columns_json,
  source_file AS source_file,
  source_line AS source_line,
  partition_date AS partition_date
FROM orders_classified
CROSS JOIN orders_hmac_pads
WHERE
  reason_code IS NULL AND is_current
