-- Enrichment: the inputs a provider needs on each card (derived by the cards/gate steps; added
-- here only if an earlier migration did not), and circuit-breaker state shared by every worker.
ALTER TABLE execution.lead_cards ADD COLUMN IF NOT EXISTS enrich_inputs jsonb;

CREATE TABLE IF NOT EXISTS execution.provider_breakers (
    name             text PRIMARY KEY,
    state            text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half-open')),
    fail_counter     integer NOT NULL DEFAULT 0,
    success_counter  integer NOT NULL DEFAULT 0,
    opened_at        timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON execution.provider_breakers TO sxp_enrich;
GRANT SELECT ON execution.provider_breakers TO sxp_api;
