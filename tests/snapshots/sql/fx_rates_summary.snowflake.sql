SELECT
  COUNT(*) AS landed_rows,
  COALESCE(SUM(CASE WHEN reason_code IS NULL THEN 1 ELSE 0 END), 0) AS usable_rows,
  COALESCE(SUM(CASE WHEN reason_code IS NULL THEN 0 ELSE 1 END), 0) AS quarantined_rows,
  COUNT(DISTINCT CASE WHEN reason_code IS NULL THEN currency END) AS currencies,
  MIN(CASE WHEN reason_code IS NULL THEN rate_date END) AS first_rate_date,
  MAX(CASE WHEN reason_code IS NULL THEN rate_date END) AS last_rate_date
FROM staging.fx_rates
