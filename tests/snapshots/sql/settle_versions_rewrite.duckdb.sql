CREATE OR REPLACE TEMPORARY TABLE orders_classified AS
SELECT
  target.partition_date,
  target.source_file,
  target.source_line,
  target.extra_columns_json,
  target.t_order_id,
  target.t_customer_id,
  target.v_order_ts,
  target.v_amount,
  target.t_currency,
  target.v_quantity,
  target.v_unit_price,
  target.t_status,
  target.t_region,
  target.t_customer_email,
  target.v_updated_at,
  target.is_naive,
  CASE
    WHEN settled.superseded
    THEN 'newer_version_rejected'
    ELSE target.reason_code
  END AS reason_code,
  CASE
    WHEN settled.superseded
    THEN 'newer_version_rejected: a version of this order of the same day with the same or a newer updated_at was quarantined; this older one is not published'
    ELSE target.reason_detail
  END AS reason_detail,
  CASE
    WHEN settled.superseded IS NULL
    THEN target.is_current
    WHEN target.reason_code IS NULL AND NOT settled.superseded
    THEN settled.version_rank = 1
  END AS is_current
FROM orders_classified AS target
LEFT JOIN orders_settled AS settled
  ON target.partition_date = settled.partition_date
  AND target.source_file = settled.source_file
  AND target.source_line = settled.source_line
