-- Source files seen in the inbox: registered once per (bucket, key, etag).
CREATE TABLE social.source_files (
    id              bigserial PRIMARY KEY,
    bucket          text NOT NULL,
    key             text NOT NULL,
    etag            text NOT NULL,
    size_bytes      bigint NOT NULL DEFAULT 0,
    format_hint     text,
    platform_hint   text,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'ingesting', 'ingested', 'failed')),
    reason_code     text,
    reason          text,
    rows_read       bigint NOT NULL DEFAULT 0,
    rows_loaded     bigint NOT NULL DEFAULT 0,
    rows_unchanged  bigint NOT NULL DEFAULT 0,
    rows_deduped    bigint NOT NULL DEFAULT 0,
    rows_rejected   bigint NOT NULL DEFAULT 0,
    normalized_key  text,
    rejects_key     text,
    registered_at   timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    UNIQUE (bucket, key, etag)
);

-- Tier 1: one row per (platform, normalized handle). No e-mails or phone numbers, ever.
CREATE TABLE social.raw_social_profiles (
    id                  bigserial PRIMARY KEY,
    platform            text NOT NULL CHECK (platform IN ('x', 'tiktok', 'threads')),
    handle              text NOT NULL,
    platform_user_id    text,
    display_name        text,
    bio                 text,
    bio_url             text,
    location            text,
    avatar_url          text,
    is_verified         boolean NOT NULL DEFAULT false,
    followers           bigint,
    following           bigint,
    posts               bigint,
    likes               bigint,
    account_created_at  timestamptz,
    scraped_at          timestamptz NOT NULL,
    bio_has_contact     boolean NOT NULL DEFAULT false,
    extra               jsonb NOT NULL DEFAULT '{}'::jsonb,
    content_hash        text NOT NULL,
    source_file_id      bigint REFERENCES social.source_files(id),
    first_seen          timestamptz NOT NULL DEFAULT now(),
    last_seen           timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, handle)
);
CREATE INDEX raw_social_profiles_updated_at ON social.raw_social_profiles (updated_at);

GRANT USAGE ON SCHEMA social TO sxp_ingest, sxp_cards, sxp_enrich, sxp_export, sxp_api;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA social TO sxp_ingest;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA social TO sxp_ingest;
GRANT SELECT ON ALL TABLES IN SCHEMA social TO sxp_cards, sxp_enrich, sxp_export, sxp_api;
