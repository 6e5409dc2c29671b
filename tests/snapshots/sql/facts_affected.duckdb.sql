SELECT
  order_id
FROM staging.cleaned_orders
WHERE
  partition_date BETWEEN ? AND ?
UNION ALL
SELECT
  order_id
FROM warehouse.fct_orders
WHERE
  partition_date BETWEEN ? AND ?
