CREATE OR REPLACE TEMPORARY TABLE fx_rates_load (
  landed_rate_date TEXT,
  landed_currency TEXT,
  landed_rate TEXT,
  source_file TEXT,
  source_line BIGINT,
  parse_error TEXT
)
