SELECT
  COUNT(*) AS not_purchase_orders,
  COUNT(DISTINCT CASE WHEN metrics.customer_id IS NULL THEN orders.customer_id END) AS customers_without_purchase
FROM (
  WITH versions AS (
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
) AS orders
LEFT JOIN analytics.customer_metrics AS metrics
  ON metrics.customer_id = orders.customer_id
WHERE
  orders.order_date <= CAST(? AS DATE)
  AND orders.status IN ('cancelled', 'returned')
