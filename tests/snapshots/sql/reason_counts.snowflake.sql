SELECT
  partition_date,
  reason_code,
  COUNT(*) AS n
FROM orders_classified
WHERE
  NOT reason_code IS NULL
GROUP BY
  partition_date,
  reason_code
ORDER BY
  partition_date,
  reason_code
