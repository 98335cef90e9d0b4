-- Suppression (issue 13): keyed hashes (HMAC-SHA256 under SXP_PRIVACY_KEY) of handles,
-- e-mails and phones that sxp must keep out: erased subjects are added by the erasure,
-- opt-outs by `sxp suppress import`. The list holds no identifier.
CREATE TABLE social.suppressions (
    hmac      text PRIMARY KEY,
    kind      text NOT NULL CHECK (kind IN ('handle', 'email', 'phone')),
    source    text NOT NULL CHECK (source IN ('erasure', 'import')),
    added_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE social.source_files ADD COLUMN rows_suppressed bigint NOT NULL DEFAULT 0;
GRANT SELECT ON social.suppressions TO sxp_ingest, sxp_export, sxp_api, sxp_erase;
GRANT INSERT ON social.suppressions TO sxp_erase;
