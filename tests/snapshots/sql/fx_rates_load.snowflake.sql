CREATE OR REPLACE TEMPORARY TABLE fx_rates_load (
  landed_rate_date VARCHAR,
  landed_currency VARCHAR,
  landed_rate VARCHAR,
  source_file VARCHAR,
  source_line BIGINT,
  parse_error VARCHAR
)
