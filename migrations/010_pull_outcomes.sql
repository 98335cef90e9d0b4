-- Pull connectors: what each platform API answered per handle (found rows land via the inbox).
CREATE TABLE social.pull_outcomes (
    id          bigserial PRIMARY KEY,
    platform    text NOT NULL CHECK (platform IN ('x', 'tiktok', 'threads')),
    handle      text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('found', 'not_found', 'suspended', 'failed')),
    reason      text,
    inbox_key   text,
    pulled_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pull_outcomes_handle ON social.pull_outcomes (platform, handle, pulled_at DESC);

GRANT SELECT, INSERT ON social.pull_outcomes TO sxp_ingest;
GRANT USAGE ON SEQUENCE social.pull_outcomes_id_seq TO sxp_ingest;
GRANT SELECT ON social.pull_outcomes TO sxp_cards, sxp_enrich, sxp_export, sxp_api;
