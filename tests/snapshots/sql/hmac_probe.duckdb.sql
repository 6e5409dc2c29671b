SELECT
  SHA256(pad_out || UNHEX(SHA256(pad_in || ENCODE('hmac-probe+ünïcøde@example.com'))))
FROM orders_hmac_pads
