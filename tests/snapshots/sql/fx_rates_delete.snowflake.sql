DELETE FROM staging.fx_rates
