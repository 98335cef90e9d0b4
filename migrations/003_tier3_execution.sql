-- Tier 3: lead cards, one per Tier 1 profile.
CREATE TABLE execution.lead_cards (
    id                  bigserial PRIMARY KEY,
    profile_id          bigint NOT NULL UNIQUE REFERENCES social.raw_social_profiles(id),
    platform            text NOT NULL,
    handle              text NOT NULL,
    profile_hash        text NOT NULL,
    readiness           text NOT NULL,
    readiness_score     numeric(5, 4) NOT NULL,
    base_confidence     numeric(5, 4) NOT NULL,
    signals             jsonb NOT NULL DEFAULT '{}'::jsonb,
    persona             text,
    tribe               text,
    audience_pool       text,
    execution_label     text,
    ruleset_version     text,
    rules_fired         jsonb,
    labeled_hash        text,
    labeled_at          timestamptz,
    enrich_state        text NOT NULL DEFAULT 'new'
                        CHECK (enrich_state IN ('new', 'ineligible', 'queued', 'enriched',
                                                'not_found', 'failed')),
    enrich_reason       text,
    enrichment_batch_id text,
    enriched_at         timestamptz,
    dnc                 boolean,
    export_batch_id     text,
    exported_at         timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_cards_enrich_state ON execution.lead_cards (enrich_state);
CREATE INDEX lead_cards_unexported ON execution.lead_cards (id) WHERE export_batch_id IS NULL;

-- Enrichment batches of at most 250 cards, formed by the gate.
CREATE TABLE execution.enrichment_batches (
    id                text PRIMARY KEY,
    provider          text NOT NULL,
    state             text NOT NULL DEFAULT 'reserved'
                      CHECK (state IN ('reserved', 'running', 'done', 'failed', 'dead')),
    card_count        integer NOT NULL CHECK (card_count BETWEEN 1 AND 250),
    credits_reserved  integer NOT NULL,
    credits_spent     integer NOT NULL DEFAULT 0,
    cards_enriched    integer NOT NULL DEFAULT 0,
    cards_not_found   integer NOT NULL DEFAULT 0,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);

-- Credit ledger: reservations by the gate, settlement and release by the worker.
CREATE TABLE execution.credit_ledger (
    id          bigserial PRIMARY KEY,
    provider    text NOT NULL,
    batch_id    text NOT NULL REFERENCES execution.enrichment_batches(id),
    entry       text NOT NULL CHECK (entry IN ('reserve', 'spend', 'release')),
    credits     integer NOT NULL,
    budget_day  date NOT NULL DEFAULT current_date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (batch_id, entry)
);

-- Exported Lead Card Batch v1 bundles.
CREATE TABLE execution.export_batches (
    id               text PRIMARY KEY,
    env              text NOT NULL,
    state            text NOT NULL DEFAULT 'writing' CHECK (state IN ('writing', 'published')),
    card_count       integer NOT NULL,
    manifest_key     text NOT NULL,
    manifest_sha256  text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz
);

GRANT USAGE ON SCHEMA execution TO sxp_cards, sxp_enrich, sxp_export, sxp_api;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA execution TO sxp_cards, sxp_enrich, sxp_export;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA execution TO sxp_cards, sxp_enrich, sxp_export;
GRANT SELECT ON ALL TABLES IN SCHEMA execution TO sxp_api;
