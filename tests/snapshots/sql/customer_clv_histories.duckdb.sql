CREATE OR REPLACE TEMPORARY TABLE clv_histories (
  frequency BIGINT,
  recency_days BIGINT,
  tenure_days BIGINT,
  expected_purchases DOUBLE,
  prob_alive DOUBLE,
  purchase_discount DOUBLE
)
