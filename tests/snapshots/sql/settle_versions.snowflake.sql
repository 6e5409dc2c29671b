CREATE OR REPLACE TEMPORARY TABLE orders_settled AS
SELECT
  partition_date,
  source_file,
  source_line,
  COALESCE(rule_code IS NULL AND newest_rejected_ts >= version_ts, FALSE) AS superseded,
  version_rank
FROM (
  SELECT
    partition_date,
    source_file,
    source_line,
    reason_code AS rule_code,
    version_ts,
    MAX(CASE WHEN NOT reason_code IS NULL THEN version_ts END) OVER (PARTITION BY partition_date, t_order_id) AS newest_rejected_ts,
    ROW_NUMBER() OVER (
      PARTITION BY partition_date, t_order_id
      ORDER BY reason_code IS NULL DESC NULLS LAST, version_ts DESC NULLS LAST, source_file DESC NULLS LAST, source_line DESC NULLS LAST
    ) AS version_rank
  FROM (
    SELECT
      *,
      COALESCE(v_updated_at, v_order_ts) AS version_ts
    FROM orders_classified
  ) AS day_rows
  WHERE
    EXISTS(
      SELECT
        1
      FROM (
        SELECT
          partition_date,
          t_order_id
        FROM orders_classified
        GROUP BY
          partition_date,
          t_order_id
        HAVING
          COUNT(*) > 1
      ) AS repeated
      WHERE
        repeated.partition_date = day_rows.partition_date
        AND repeated.t_order_id IS NOT DISTINCT FROM day_rows.t_order_id
    )
) AS versions
