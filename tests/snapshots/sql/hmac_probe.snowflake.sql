SELECT
  LOWER(
    SHA2(
      pad_out || SHA2_BINARY(pad_in || TO_BINARY('hmac-probe+ünïcøde@example.com', 'UTF-8'), 256),
      256
    )
  )
FROM orders_hmac_pads
