-- Which batch first exported a card is in `batch_cards` (every record a consumer received,
-- with its batch); publishing no longer copies it onto the card as well. That copy rewrote
-- every exported card once more — a third of a million full rows per million profiles, with
-- their indexes (issue 14). The API's card view and `sxp status` read it from the batches.
ALTER TABLE execution.lead_cards DROP COLUMN IF EXISTS exported_at,
                                 DROP COLUMN IF EXISTS export_batch_id;
