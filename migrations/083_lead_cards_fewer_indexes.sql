-- Every write of a lead card (built, relabeled, gated, queued, enriched, exported) inserts into
-- each index that holds the new row version: a million cards pay for each index a million
-- times (issue 14). These four answer no query any more:
-- - `lead_cards_gate_waiting` (id WHERE enrich_state = 'new'): fresh cards are found by
--   `lead_cards_gate_fresh`, decided ones by `lead_cards_gate_order`;
-- - `lead_cards_enrich_state` (every card, by state) serves no read: the steps find their
--   cards by partial indexes (gate, enrichment batch, handoff sequence, DNC checks) and the
--   status counts read the whole table anyway;
-- - `lead_cards_unexported` and `lead_cards_export_batch` belong to the export before the
--   handoff sequence (068): export reads by `lead_cards_handoff_seq`, and a card's batches are
--   found in `batch_cards`.
DROP INDEX IF EXISTS execution.lead_cards_gate_waiting;
DROP INDEX IF EXISTS execution.lead_cards_enrich_state;
DROP INDEX IF EXISTS execution.lead_cards_unexported;
DROP INDEX IF EXISTS execution.lead_cards_export_batch;

-- `lead_cards_gate_order` now holds only the cards the gate judged eligible and left waiting
-- for budget (`budget_exhausted`): the gate reads them best first and counts them from the
-- index alone, while fresh cards wait in `lead_cards_gate_fresh` (a card is in one of the two).
DROP INDEX IF EXISTS execution.lead_cards_gate_order;
CREATE INDEX lead_cards_gate_order ON execution.lead_cards
    (execution_label, base_confidence DESC, readiness_score DESC, id)
    WHERE enrich_state = 'new' AND enrich_reason = 'budget_exhausted';
