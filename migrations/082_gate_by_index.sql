-- The gate reads only what changed (issue 14). A card waiting for the gate is either fresh
-- (enrich_reason NULL: new, relabeled, reopened) or already judged eligible and left waiting
-- for budget (`budget_exhausted`). A pass decides the fresh ones in one set-based UPDATE (by
-- the first index), then buys waiting cards best first and stops where the budget ends (the
-- second index walks each enrichable label in the gate's order). `gate_basis` holds what the
-- last pass judged eligibility under (ruleset version and provider chain): when it changes,
-- every waiting card is judged again.
CREATE INDEX lead_cards_gate_fresh ON execution.lead_cards (id)
    WHERE enrich_state = 'new' AND enrich_reason IS NULL;
CREATE INDEX lead_cards_gate_order ON execution.lead_cards
    (execution_label, base_confidence DESC, readiness_score DESC, id)
    WHERE enrich_state = 'new';
CREATE TABLE execution.gate_basis (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    basis      text NOT NULL,
    decided_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON execution.gate_basis TO sxp_cards, sxp_enrich;
GRANT SELECT ON execution.gate_basis TO sxp_api;
