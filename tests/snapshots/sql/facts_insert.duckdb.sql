INSERT INTO warehouse.fct_orders (
  order_id,
  customer_id,
  order_ts,
  order_date,
  amount,
  currency,
  quantity,
  unit_price,
  status,
  region,
  customer_email_hash,
  updated_at,
  partition_date
)
SELECT
  order_id,
  customer_id,
  order_ts,
  order_date,
  amount,
  currency,
  quantity,
  unit_price,
  status,
  region,
  customer_email_hash,
  updated_at,
  partition_date
FROM (
  WITH versions AS NOT MATERIALIZED (
    SELECT
      *
    FROM (
      SELECT
        *
      FROM staging.cleaned_orders
      WHERE
        partition_date BETWEEN ? AND ?
      UNION ALL
      SELECT
        *
      FROM staging.cleaned_orders
      WHERE
        NOT (
          partition_date BETWEEN ? AND ?
        )
        AND order_id IN (
          SELECT
            order_id
          FROM orders_affected
        )
    ) AS candidates
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
    order_id,
    customer_id,
    order_ts,
    order_date,
    amount,
    currency,
    quantity,
    unit_price,
    status,
    region,
    customer_email_hash,
    updated_at,
    partition_date
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
    order_id,
    customer_id,
    order_ts,
    order_date,
    amount,
    currency,
    quantity,
    unit_price,
    status,
    region,
    customer_email_hash,
    updated_at,
    partition_date
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
) AS current_versions
