CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS raw.raw_orders (order_id VARCHAR, customer_id VARCHAR, order_ts VARCHAR, amount VARCHAR, currency VARCHAR, quantity VARCHAR, unit_price VARCHAR, status VARCHAR, region VARCHAR, customer_email VARCHAR, updated_at VARCHAR, extra_columns_json VARCHAR, pii_extra_columns_json VARCHAR, parse_error VARCHAR, raw_record VARCHAR, source_file VARCHAR, source_line BIGINT, source_format VARCHAR, file_header VARCHAR, partition_date DATE);
CREATE SCHEMA IF NOT EXISTS staging;
CREATE TABLE IF NOT EXISTS staging.cleaned_orders (order_id VARCHAR, customer_id VARCHAR, order_ts TIMESTAMP WITH TIME ZONE, order_date DATE, amount DOUBLE, currency VARCHAR, quantity BIGINT, unit_price DOUBLE, status VARCHAR, region VARCHAR, customer_email_hash VARCHAR, updated_at TIMESTAMP WITH TIME ZONE, extra_columns_json VARCHAR, source_file VARCHAR, source_line BIGINT, partition_date DATE);
CREATE SCHEMA IF NOT EXISTS staging;
CREATE TABLE IF NOT EXISTS staging.quarantined_orders (order_id VARCHAR, customer_id VARCHAR, order_ts VARCHAR, amount VARCHAR, currency VARCHAR, quantity VARCHAR, unit_price VARCHAR, status VARCHAR, region VARCHAR, customer_email VARCHAR, updated_at VARCHAR, extra_columns_json VARCHAR, pii_extra_columns_json VARCHAR, parse_error VARCHAR, raw_record VARCHAR, source_file VARCHAR, source_line BIGINT, source_format VARCHAR, file_header VARCHAR, partition_date DATE, reason_code VARCHAR, reason_detail VARCHAR);
CREATE SCHEMA IF NOT EXISTS warehouse;
CREATE TABLE IF NOT EXISTS warehouse.fct_orders (order_id VARCHAR, customer_id VARCHAR, order_ts TIMESTAMP WITH TIME ZONE, order_date DATE, amount DOUBLE, currency VARCHAR, quantity BIGINT, unit_price DOUBLE, status VARCHAR, region VARCHAR, customer_email_hash VARCHAR, updated_at TIMESTAMP WITH TIME ZONE, partition_date DATE);
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE IF NOT EXISTS analytics.customer_metrics (customer_id VARCHAR, order_count BIGINT, frequency BIGINT, recency_days BIGINT, tenure_days BIGINT, monetary_value DOUBLE, total_revenue DOUBLE, first_order_date DATE, last_order_date DATE, as_of_date DATE);
CREATE SCHEMA IF NOT EXISTS analytics;
CREATE TABLE IF NOT EXISTS analytics.customer_clv (customer_id VARCHAR, as_of_date DATE, horizon_months BIGINT, expected_purchases DOUBLE, prob_alive DOUBLE, expected_avg_order_value DOUBLE, clv DOUBLE);
CREATE SCHEMA IF NOT EXISTS warehouse;
CREATE TABLE IF NOT EXISTS warehouse.dim_customers (customer_id VARCHAR, order_count BIGINT, frequency BIGINT, recency_days BIGINT, tenure_days BIGINT, monetary_value DOUBLE, total_revenue DOUBLE, first_order_date DATE, last_order_date DATE, as_of_date DATE, expected_purchases DOUBLE, prob_alive DOUBLE, expected_avg_order_value DOUBLE, clv DOUBLE, clv_horizon_months BIGINT, clv_as_of_date DATE);
CREATE SCHEMA IF NOT EXISTS staging;
CREATE TABLE IF NOT EXISTS staging.fx_rates (rate_date DATE, currency VARCHAR, rate DOUBLE, reason_code VARCHAR, reason_detail VARCHAR, landed_rate_date VARCHAR, landed_currency VARCHAR, landed_rate VARCHAR, source_file VARCHAR, source_line BIGINT)
