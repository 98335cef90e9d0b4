-- A card's enrichment inputs are derived from its profile and always current; the inputs its
-- enrichment was (or is being) looked up with are kept apart, so the re-enrichment rule of
-- the rules file can compare the two (issue 12).
ALTER TABLE execution.lead_cards ADD COLUMN lookup_inputs jsonb;
UPDATE execution.lead_cards SET lookup_inputs = enrich_inputs
 WHERE enrich_state IN ('queued', 'enriched', 'not_found', 'failed');
