SELECT
  SHA256(
    pad_out || UNHEX(SHA256(pad_in || ENCODE(LOWER('HMAC-Probe+ÜNÏCØDE.İ.ΟΔΟΣ.K.𐐀@Example.COM'))))
  )
FROM orders_hmac_pads
