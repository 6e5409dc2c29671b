DELETE FROM warehouse.fct_orders
WHERE
  order_id IN (
    SELECT
      order_id
    FROM orders_affected
  )
