-- Export: find a batch's cards fast (rerun of an unfinished 'writing' batch, publish),
-- and keep what was written on the batch row for status and the API.
CREATE INDEX IF NOT EXISTS lead_cards_export_batch ON execution.lead_cards (export_batch_id)
    WHERE export_batch_id IS NOT NULL;
ALTER TABLE execution.export_batches
    ADD COLUMN IF NOT EXISTS counts_by_execution_label jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN IF NOT EXISTS files jsonb NOT NULL DEFAULT '[]'::jsonb;
GRANT SELECT, INSERT, UPDATE ON execution.export_batches TO sxp_export;
GRANT SELECT ON execution.export_batches TO sxp_api;
