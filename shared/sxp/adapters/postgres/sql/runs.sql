-- Pipeline runs (execution.pipeline_runs) and what each reserved.

-- name: open
INSERT INTO execution.pipeline_runs (origin) VALUES (%(origin)s) RETURNING id

-- name: finish
UPDATE execution.pipeline_runs SET finished_at = now() WHERE id = %(id)s AND finished_at IS NULL

-- name: finish_open_of
UPDATE execution.pipeline_runs SET finished_at = now()
WHERE origin = %(origin)s AND finished_at IS NULL

-- name: current
SELECT id FROM execution.pipeline_runs WHERE finished_at IS NULL ORDER BY id DESC LIMIT 1

-- name: ledger_of_run
SELECT coalesce(sum(l.credits) FILTER (WHERE l.entry = 'reserve'), 0) AS reserved,
       coalesce(sum(l.credits) FILTER (WHERE l.entry = 'release'), 0) AS released
FROM execution.credit_ledger l
JOIN execution.enrichment_batches b ON b.id = l.batch_id
WHERE b.run_id = %(run_id)s AND l.provider = %(provider)s
