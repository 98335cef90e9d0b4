-- Tier 2: enriched contacts and businesses, linked to lead cards. Holds PII; ingest cannot read it.
CREATE TABLE contact.provider_calls (
    id             bigserial PRIMARY KEY,
    provider       text NOT NULL,
    request_hash   text NOT NULL UNIQUE,
    batch_id       text NOT NULL,
    card_ids       bigint[] NOT NULL,
    status_code    integer,
    outcome        text NOT NULL CHECK (outcome IN ('ok', 'no_match', 'error')),
    credits        integer NOT NULL DEFAULT 0,
    response       jsonb,
    applied        boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE contact.contacts (
    id                  bigserial PRIMARY KEY,
    card_id             bigint NOT NULL REFERENCES execution.lead_cards(id),
    provider            text NOT NULL,
    provider_record_id  text,
    call_id             bigint REFERENCES contact.provider_calls(id),
    fetched_at          timestamptz NOT NULL,
    confidence          numeric(5, 4),
    first_name          text,
    last_name           text,
    emails              jsonb NOT NULL DEFAULT '[]'::jsonb,
    phones              jsonb NOT NULL DEFAULT '[]'::jsonb,
    mailing_address     jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (card_id, provider)
);

CREATE TABLE contact.businesses (
    id                  bigserial PRIMARY KEY,
    card_id             bigint NOT NULL REFERENCES execution.lead_cards(id),
    provider            text NOT NULL,
    provider_record_id  text,
    call_id             bigint REFERENCES contact.provider_calls(id),
    fetched_at          timestamptz NOT NULL,
    confidence          numeric(5, 4),
    name                text,
    domain              text,
    industry            text,
    employee_count      integer,
    city                text,
    state               text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (card_id, provider)
);

GRANT USAGE ON SCHEMA contact TO sxp_enrich, sxp_export;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA contact TO sxp_enrich;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA contact TO sxp_enrich;
GRANT SELECT ON ALL TABLES IN SCHEMA contact TO sxp_export;
