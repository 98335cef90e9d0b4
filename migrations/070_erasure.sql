-- Erasure (issue 13): a subject removed from every tier, its provider answers and staged
-- objects; every consumer that was given its card is told with a tombstone.

-- An erasure request and what it removed. The handles to look for in staged objects are kept
-- only until the erasure is done; `subject_hmac` (HMAC-SHA256 of the normalized identifier
-- under SXP_PRIVACY_KEY) tells a repeated request apart without holding the identifier.
CREATE TABLE execution.erasures (
    id               bigserial PRIMARY KEY,
    subject_kind     text NOT NULL CHECK (subject_kind IN ('handle', 'email', 'phone')),
    subject_hmac   text NOT NULL,
    state            text NOT NULL DEFAULT 'requested'
                     CHECK (state IN ('requested', 'objects', 'done')),
    card_ids         bigint[] NOT NULL DEFAULT '{}',
    source_file_ids  bigint[] NOT NULL DEFAULT '{}',
    match_handles    text[],
    removed          jsonb NOT NULL DEFAULT '{}'::jsonb,
    requested_by     text NOT NULL,
    requested_at     timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE INDEX erasures_unfinished ON execution.erasures (id) WHERE state <> 'done';

-- A tombstone per erased card: a place in the handoff sequence, like a new card version, that
-- export turns into an `erased` withdrawal for every consumer the card was ever given to.
CREATE TABLE execution.card_tombstones (
    card_id     bigint PRIMARY KEY,            -- the card is gone: no foreign key
    erasure_id  bigint NOT NULL REFERENCES execution.erasures (id),
    version     integer NOT NULL,
    handoff_seq bigint NOT NULL,
    erased_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX card_tombstones_handoff_seq ON execution.card_tombstones (handoff_seq);

-- batch history and holdings outlive the cards they name (ids only, no PII)
ALTER TABLE execution.batch_cards DROP CONSTRAINT batch_cards_card_id_fkey;
ALTER TABLE execution.consumer_cards DROP CONSTRAINT consumer_cards_card_id_fkey;
CREATE INDEX batch_cards_card ON execution.batch_cards (card_id);

-- the role that erases: the only one that deletes from the tiers
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sxp_erase') THEN
    CREATE ROLE sxp_erase NOLOGIN;
  END IF;
END $$;
GRANT USAGE ON SCHEMA social, contact, execution, queue TO sxp_erase;
GRANT sxp_audit_writer TO sxp_erase;
GRANT SELECT, DELETE ON social.raw_social_profiles, execution.lead_cards, contact.contacts,
    contact.businesses TO sxp_erase;
GRANT SELECT, UPDATE ON contact.provider_calls TO sxp_erase;
GRANT SELECT ON social.source_files, execution.batch_cards, execution.export_batches
    TO sxp_erase;
GRANT SELECT, INSERT, UPDATE ON execution.erasures TO sxp_erase;
GRANT SELECT, INSERT ON execution.card_tombstones TO sxp_erase;
GRANT USAGE ON SEQUENCE execution.card_handoff_seq, execution.erasures_id_seq TO sxp_erase;
GRANT SELECT, INSERT, UPDATE ON queue.jobs TO sxp_erase;
GRANT USAGE ON SEQUENCE queue.jobs_id_seq TO sxp_erase;
GRANT sxp_erase TO sxp_worker_svc, sxp_functions_svc;
-- the exporter reads tombstones; the API records requests and shows their outcome
GRANT SELECT ON execution.card_tombstones TO sxp_export;
GRANT SELECT, INSERT ON execution.erasures TO sxp_api;
GRANT USAGE ON SEQUENCE execution.erasures_id_seq TO sxp_api;
