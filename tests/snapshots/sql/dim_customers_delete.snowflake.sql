DELETE FROM warehouse.dim_customers
