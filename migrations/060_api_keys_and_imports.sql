-- API keys: Postgres holds only a SHA-256 of each token's secret; the token is shown once.
CREATE SCHEMA IF NOT EXISTS access;
CREATE TABLE access.api_keys (
    id            bigserial PRIMARY KEY,
    key_id        text NOT NULL UNIQUE,          -- the public part of the token
    name          text NOT NULL UNIQUE,
    secret_sha256 bytea NOT NULL,
    scopes        text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
GRANT USAGE ON SCHEMA access TO sxp_api;
GRANT SELECT ON access.api_keys TO sxp_api;
GRANT UPDATE (last_used_at) ON access.api_keys TO sxp_api;

-- Uploads (HTTP imports and `sxp import`): one row per content, found again by its sha256;
-- every upload gets a key of its own, so none overwrites another.
CREATE TABLE social.imports (
    id          bigserial PRIMARY KEY,
    bucket      text NOT NULL,
    key         text NOT NULL,
    sha256      text NOT NULL UNIQUE,
    size_bytes  bigint NOT NULL,
    filename    text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (bucket, key)
);
GRANT SELECT, INSERT ON social.imports TO sxp_api, sxp_ingest;
GRANT USAGE ON SEQUENCE social.imports_id_seq TO sxp_api, sxp_ingest;
