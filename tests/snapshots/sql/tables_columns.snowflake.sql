SELECT column_name, data_type, numeric_scale FROM information_schema.columns WHERE lower(table_schema) = ? AND lower(table_name) = ? ORDER BY ordinal_position
