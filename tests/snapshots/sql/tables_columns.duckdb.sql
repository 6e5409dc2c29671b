SELECT name, type, NULL FROM pragma_table_info(?)
