SELECT
  reason_code,
  source_file,
  source_line,
  reason_detail
FROM staging.fx_rates
WHERE
  NOT reason_code IS NULL
ORDER BY
  reason_code,
  source_file,
  source_line
LIMIT ?
