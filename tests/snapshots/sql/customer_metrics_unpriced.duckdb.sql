SELECT
  currency,
  order_date,
  COUNT(*) AS orders
FROM (
  SELECT
    current_orders.customer_id,
    current_orders.order_date,
    current_orders.currency,
    CASE
      WHEN current_orders.currency = 'USD'
      THEN current_orders.amount
      ELSE current_orders.amount * rates.rate
    END AS reporting_amount
  FROM (
    WITH versions AS NOT MATERIALIZED (
      SELECT
        *
      FROM staging.cleaned_orders
    ), repeated AS (
      SELECT
        order_id
      FROM versions
      GROUP BY
        order_id
      HAVING
        COUNT(*) > 1
    )
    SELECT
      customer_id,
      order_date,
      amount,
      currency,
      status
    FROM versions
    WHERE
      NOT EXISTS(
        SELECT
          1
        FROM repeated
        WHERE
          repeated.order_id = versions.order_id
      )
    UNION ALL
    SELECT
      customer_id,
      order_date,
      amount,
      currency,
      status
    FROM (
      SELECT
        versions.*,
        ROW_NUMBER() OVER (
          PARTITION BY order_id
          ORDER BY updated_at DESC, partition_date DESC, source_file DESC, source_line DESC
        ) AS version_rank
      FROM versions
      WHERE
        order_id IN (
          SELECT
            order_id
          FROM repeated
        )
    ) AS ranked
    WHERE
      version_rank = 1
  ) AS current_orders
  LEFT JOIN (
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
  ) AS rates
    ON rates.currency = current_orders.currency
    AND rates.rate_day = current_orders.order_date
  WHERE
    current_orders.order_date <= CAST(? AS DATE)
    AND (
      current_orders.status IS NULL
      OR NOT current_orders.status IN ('cancelled', 'returned')
    )
) AS priced
WHERE
  reporting_amount IS NULL
GROUP BY
  currency,
  order_date
ORDER BY
  currency,
  order_date
