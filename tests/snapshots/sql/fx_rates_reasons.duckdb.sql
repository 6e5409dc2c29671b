SELECT
  reason_code,
  COUNT(*) AS n
FROM staging.fx_rates
WHERE
  NOT reason_code IS NULL
GROUP BY
  reason_code
ORDER BY
  reason_code
