SELECT
  currency,
  rate_day,
  ARG_MAX(rate, rate_date) AS rate,
  MAX(rate_date) AS rate_date
FROM (
  SELECT
    currency,
    rate_date,
    rate,
    CAST(rate_date + ages.age AS DATE) AS rate_day
  FROM (
    SELECT
      currency,
      rate_date,
      MIN(rate) AS rate
    FROM staging.fx_rates
    WHERE
      reason_code IS NULL AND currency <> 'USD'
    GROUP BY
      currency,
      rate_date
  ) AS usable
  CROSS JOIN (VALUES
    (0),
    (1),
    (2),
    (3),
    (4)) AS ages(age)
) AS served
GROUP BY
  currency,
  rate_day
