-- Cards/label/gate: the provider inputs derived on each card, and indexes the gate and the
-- enrichment worker read through.
--   enrich_inputs: {"first_name", "last_name", "city", "state", "zip", "domain"} (null = unknown)
ALTER TABLE execution.lead_cards
    ADD COLUMN IF NOT EXISTS enrich_inputs jsonb NOT NULL DEFAULT '{}'::jsonb;

-- The gate scans cards still waiting for a decision.
CREATE INDEX IF NOT EXISTS lead_cards_gate_waiting ON execution.lead_cards (id)
    WHERE enrich_state = 'new';
-- The worker loads a batch's cards.
CREATE INDEX IF NOT EXISTS lead_cards_enrichment_batch ON execution.lead_cards (enrichment_batch_id)
    WHERE enrichment_batch_id IS NOT NULL;
-- Reservations are summed per provider and day.
CREATE INDEX IF NOT EXISTS credit_ledger_provider_day ON execution.credit_ledger (provider, budget_day);

-- Table-level grants of 003 already cover the new column for sxp_cards/sxp_enrich/sxp_export
-- (read-write) and sxp_api (read).
