-- Postgres job queue: transactional enqueue, SKIP LOCKED dequeue, leases for dead workers.
CREATE TABLE queue.jobs (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL,
    payload        jsonb NOT NULL DEFAULT '{}'::jsonb,
    queueing_lock  text,
    state          text NOT NULL DEFAULT 'todo'
                   CHECK (state IN ('todo', 'doing', 'done', 'failed', 'dead')),
    attempts       integer NOT NULL DEFAULT 0,
    max_attempts   integer NOT NULL DEFAULT 5,
    run_after      timestamptz NOT NULL DEFAULT now(),
    locked_by      text,
    lease_until    timestamptz,
    heartbeat_at   timestamptz,
    last_error     text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz
);
-- At most one pending job per queueing lock (e.g. one ingest job per source file).
CREATE UNIQUE INDEX jobs_queueing_lock ON queue.jobs (queueing_lock)
    WHERE state IN ('todo', 'doing');
CREATE INDEX jobs_ready ON queue.jobs (kind, run_after) WHERE state = 'todo';
CREATE INDEX jobs_leased ON queue.jobs (lease_until) WHERE state = 'doing';

GRANT USAGE ON SCHEMA queue TO sxp_ingest, sxp_cards, sxp_enrich, sxp_export, sxp_api;
GRANT SELECT, INSERT, UPDATE ON queue.jobs TO sxp_ingest, sxp_cards, sxp_enrich, sxp_export;
GRANT USAGE ON SEQUENCE queue.jobs_id_seq TO sxp_ingest, sxp_cards, sxp_enrich, sxp_export;
GRANT SELECT ON queue.jobs TO sxp_api;
