INSERT INTO analytics.customer_metrics (
  customer_id,
  order_count,
  frequency,
  recency_days,
  tenure_days,
  monetary_value,
  total_revenue,
  first_order_date,
  last_order_date,
  as_of_date
)
SELECT
  customer_id,
  order_count,
  frequency,
  recency_days,
  tenure_days,
  monetary_value,
  total_revenue,
  first_order_date,
  last_order_date,
  as_of_date
FROM (
  WITH daily AS (
    SELECT
      customer_id,
      order_date,
      SUM(CAST(reporting_amount AS DECIMAL(38, 12))) AS day_amount,
      COUNT(*) AS day_orders
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
        WITH versions AS (
          SELECT
            *
          FROM (
            SELECT
              *
            FROM staging.cleaned_orders
            WHERE
              NOT partition_date IN (?, ?)
          ) AS kept
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
              ORDER BY updated_at DESC NULLS LAST, partition_date DESC NULLS LAST, source_file DESC NULLS LAST, source_line DESC NULLS LAST
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
          MAX_BY(rate, rate_date) AS rate,
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
      NOT reporting_amount IS NULL
    GROUP BY
      customer_id,
      order_date
  )
  SELECT
    customer_id,
    CAST(SUM(day_orders) AS BIGINT) AS order_count,
    CAST(COUNT(*) - 1 AS BIGINT) AS frequency,
    CAST(MAX(order_date) - MIN(order_date) AS BIGINT) AS recency_days,
    CAST(CAST(? AS DATE) - MIN(order_date) AS BIGINT) AS tenure_days,
    COALESCE(
      CAST(SUM(CAST(day_amount AS DECIMAL(38, 12))) - CAST(MIN_BY(day_amount, order_date) AS DECIMAL(38, 12)) AS DOUBLE) / NULLIF(COUNT(*) - 1, 0),
      0
    ) AS monetary_value,
    CAST(COALESCE(SUM(CAST(day_amount AS DECIMAL(38, 12))), 0) AS DOUBLE) AS total_revenue,
    MIN(order_date) AS first_order_date,
    MAX(order_date) AS last_order_date,
    CAST(? AS DATE) AS as_of_date
  FROM daily
  GROUP BY
    customer_id
) AS metrics
