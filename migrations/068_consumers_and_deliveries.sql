-- Handoff at full depth (issue 11): consumers, card versions, per-consumer batches and the
-- delivery outbox.

-- A consumer: a registered execution platform, its transport and what it receives.
CREATE TABLE execution.consumers (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    transport        text NOT NULL CHECK (transport IN ('file', 'api', 'webhook', 'queue')),
    settings         jsonb NOT NULL DEFAULT '{}'::jsonb,   -- per transport; no secrets
    -- webhook signing secrets, newest first; a second one only while a rotation runs
    secrets          text[] NOT NULL DEFAULT '{}',
    rotation_ends_at timestamptz,
    execution_labels text[],                      -- NULL: every label but `hold`
    audience_pools   text[],                      -- NULL: every pool
    include_contact  boolean NOT NULL DEFAULT true,
    state            text NOT NULL DEFAULT 'active'
                     CHECK (state IN ('active', 'paused', 'removed')),
    state_reason     text,
    -- the card handoff sequence this consumer's batches have covered (see lead_cards)
    cursor_seq       bigint NOT NULL DEFAULT 0,
    batch_count      integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
INSERT INTO execution.consumers (name, transport) VALUES ('default', 'file');

-- Card versions. A card is handed over when it is ready (labeled and past enrichment); its
-- version goes up, and it gets a new place in the handoff sequence, whenever it becomes ready
-- or something a consumer receives changes while it is ready. Every writer of lead_cards goes
-- through this trigger, so no step can forget it. Writers hold the handoff lock shared until
-- they commit; the exporter takes it exclusively for an instant to read a sequence value
-- below which every number is committed (no card is skipped by a later commit).
CREATE SEQUENCE execution.card_handoff_seq;
ALTER TABLE execution.lead_cards
    ADD COLUMN version integer NOT NULL DEFAULT 0,
    ADD COLUMN handoff_seq bigint;
CREATE INDEX lead_cards_handoff_seq ON execution.lead_cards (handoff_seq)
    WHERE handoff_seq IS NOT NULL;

CREATE FUNCTION execution.card_handoff() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.labeled_at IS NULL OR NEW.export_error IS NOT NULL
       OR NEW.enrich_state NOT IN ('enriched', 'not_found', 'ineligible') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.handoff_seq IS NOT NULL AND OLD.labeled_at IS NOT NULL
       AND OLD.export_error IS NULL
       AND OLD.enrich_state IN ('enriched', 'not_found', 'ineligible')
       AND (NEW.profile_hash, NEW.readiness, NEW.readiness_score, NEW.base_confidence,
            NEW.persona, NEW.tribe, NEW.audience_pool, NEW.execution_label,
            NEW.ruleset_version, NEW.rules_fired, NEW.enrich_state, NEW.enrich_reason,
            NEW.enrichment_batch_id, NEW.enriched_at, NEW.dnc)
           IS NOT DISTINCT FROM
           (OLD.profile_hash, OLD.readiness, OLD.readiness_score, OLD.base_confidence,
            OLD.persona, OLD.tribe, OLD.audience_pool, OLD.execution_label,
            OLD.ruleset_version, OLD.rules_fired, OLD.enrich_state, OLD.enrich_reason,
            OLD.enrichment_batch_id, OLD.enriched_at, OLD.dnc) THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(1398294611);  -- 'SXHS': the handoff lock
    NEW.version := CASE WHEN TG_OP = 'UPDATE' THEN OLD.version + 1 ELSE 1 END;
    NEW.handoff_seq := nextval('execution.card_handoff_seq');
    RETURN NEW;
END $$;
CREATE TRIGGER lead_cards_handoff
    BEFORE INSERT OR UPDATE OF profile_hash, readiness, readiness_score, base_confidence,
        persona, tribe, audience_pool, execution_label, ruleset_version, rules_fired,
        labeled_at, enrich_state, enrich_reason, enrichment_batch_id, enriched_at, dnc,
        export_error
    ON execution.lead_cards FOR EACH ROW EXECUTE FUNCTION execution.card_handoff();

-- cards that were ready before this migration enter the sequence in id order
UPDATE execution.lead_cards
   SET version = 1, handoff_seq = nextval('execution.card_handoff_seq')
 WHERE labeled_at IS NOT NULL AND export_error IS NULL
   AND enrich_state IN ('enriched', 'not_found', 'ineligible');
-- what the default consumer already has: the sequence up to the first card not yet exported
UPDATE execution.consumers
   SET cursor_seq = coalesce(
       (SELECT min(handoff_seq) - 1 FROM execution.lead_cards
         WHERE handoff_seq IS NOT NULL AND exported_at IS NULL),
       (SELECT max(handoff_seq) FROM execution.lead_cards), 0)
 WHERE name = 'default';

-- Batches belong to one consumer and chain to its previous batch.
ALTER TABLE execution.export_batches
    ADD COLUMN consumer_id bigint REFERENCES execution.consumers (id),
    ADD COLUMN sequence integer,
    ADD COLUMN previous_batch_id text REFERENCES execution.export_batches (id),
    ADD COLUMN seq_from bigint,
    ADD COLUMN seq_to bigint,
    ADD COLUMN withdrawal_count integer NOT NULL DEFAULT 0;
UPDATE execution.export_batches b SET consumer_id = c.id
  FROM execution.consumers c WHERE c.name = 'default';
WITH numbered AS (
    SELECT id, row_number() OVER (ORDER BY created_at, id) AS n,
           lag(id) OVER (ORDER BY created_at, id) AS prev
      FROM execution.export_batches)
UPDATE execution.export_batches b SET sequence = n.n, previous_batch_id = n.prev
  FROM numbered n WHERE n.id = b.id;
UPDATE execution.consumers c SET batch_count = (SELECT count(*) FROM execution.export_batches)
 WHERE c.name = 'default';
ALTER TABLE execution.export_batches
    ALTER COLUMN consumer_id SET NOT NULL,
    ALTER COLUMN sequence SET NOT NULL;
CREATE UNIQUE INDEX export_batches_consumer_sequence
    ON execution.export_batches (consumer_id, sequence);
-- one unfinished batch per consumer at a time
CREATE UNIQUE INDEX export_batches_one_writing
    ON execution.export_batches (consumer_id) WHERE state = 'writing';

-- The cards of a batch: a record of a card version, or a withdrawal of one handed before.
CREATE TABLE execution.batch_cards (
    batch_id           text NOT NULL REFERENCES execution.export_batches (id),
    card_id            bigint NOT NULL REFERENCES execution.lead_cards (id),
    version            integer NOT NULL,
    supersedes_version integer,
    action             text NOT NULL CHECK (action IN ('record', 'withdrawal')),
    reason             text,
    PRIMARY KEY (batch_id, card_id)
);
INSERT INTO execution.batch_cards (batch_id, card_id, version, action)
SELECT export_batch_id, id, greatest(version, 1), 'record'
  FROM execution.lead_cards WHERE export_batch_id IS NOT NULL;

-- What each consumer holds: the last version handed to it, until withdrawn.
CREATE TABLE execution.consumer_cards (
    consumer_id bigint NOT NULL REFERENCES execution.consumers (id),
    card_id     bigint NOT NULL REFERENCES execution.lead_cards (id),
    version     integer NOT NULL,
    batch_id    text NOT NULL,
    PRIMARY KEY (consumer_id, card_id)
);
INSERT INTO execution.consumer_cards (consumer_id, card_id, version, batch_id)
SELECT c.id, lc.id, greatest(lc.version, 1), lc.export_batch_id
  FROM execution.lead_cards lc, execution.consumers c
 WHERE c.name = 'default' AND lc.export_batch_id IS NOT NULL AND lc.exported_at IS NOT NULL;

-- The outbox: one delivery per published batch, written in the publishing transaction.
CREATE TABLE execution.deliveries (
    id              bigserial PRIMARY KEY,
    batch_id        text NOT NULL UNIQUE REFERENCES execution.export_batches (id),
    consumer_id     bigint NOT NULL REFERENCES execution.consumers (id),
    transport       text NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'acknowledged', 'paused', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    event_id        text NOT NULL UNIQUE,        -- webhook-id / the stream's idempotency key
    last_status     integer,
    last_error      text,
    stream_id       text,
    created_at      timestamptz NOT NULL DEFAULT now(),   -- the batch's commit
    next_attempt_at timestamptz,
    last_attempt_at timestamptz,
    delivered_at    timestamptz,
    acknowledged_at timestamptz
);
CREATE INDEX deliveries_consumer_state ON execution.deliveries (consumer_id, state, id);
INSERT INTO execution.deliveries (batch_id, consumer_id, transport, state, event_id,
                                  created_at, delivered_at)
SELECT b.id, b.consumer_id, 'file', 'delivered', 'msg_' || b.id, b.published_at,
       b.published_at
  FROM execution.export_batches b WHERE b.state = 'published';

-- A consumer's API key sees that consumer's batches only.
ALTER TABLE access.api_keys
    ADD COLUMN consumer_id bigint REFERENCES execution.consumers (id);

GRANT SELECT, INSERT, UPDATE ON execution.consumers, execution.batch_cards,
    execution.deliveries TO sxp_export;
GRANT DELETE ON execution.consumer_cards TO sxp_export;
GRANT SELECT, INSERT, UPDATE ON execution.consumer_cards TO sxp_export;
GRANT USAGE ON SEQUENCE execution.card_handoff_seq, execution.consumers_id_seq,
    execution.deliveries_id_seq TO sxp_cards, sxp_enrich, sxp_export;
GRANT SELECT ON SEQUENCE execution.card_handoff_seq TO sxp_export;
GRANT SELECT ON execution.consumers, execution.batch_cards, execution.consumer_cards,
    execution.deliveries TO sxp_api, sxp_cards, sxp_enrich;
-- the API: admins manage consumers; a consumer acknowledges its deliveries
GRANT INSERT, UPDATE ON execution.consumers TO sxp_api;
GRANT USAGE ON SEQUENCE execution.consumers_id_seq TO sxp_api;
GRANT UPDATE (state, acknowledged_at, attempts, next_attempt_at, last_error)
    ON execution.deliveries TO sxp_api;
GRANT INSERT ON queue.jobs TO sxp_api;
GRANT USAGE ON SEQUENCE queue.jobs_id_seq TO sxp_api;
