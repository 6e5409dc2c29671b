DELETE FROM analytics.customer_clv
