UPDATE orders_classified AS target SET reason_code = CASE
  WHEN settled.superseded
  THEN 'newer_version_rejected'
  ELSE target.reason_code
END, reason_detail = CASE
  WHEN settled.superseded
  THEN 'newer_version_rejected: a version of this order of the same day with the same or a newer updated_at was quarantined; this older one is not published'
  ELSE target.reason_detail
END, is_current = CASE
  WHEN target.reason_code IS NULL AND NOT settled.superseded
  THEN settled.version_rank = 1
END
FROM orders_settled AS settled
WHERE
  target.partition_date = settled.partition_date
  AND target.source_file = settled.source_file
  AND target.source_line = settled.source_line
