-- A pipeline run: one `sxp run` (or one scheduled cycle). The per-run credit budget counts the
-- reservations of every batch the run's gate passes formed, however many gate jobs and job
-- reruns that took (issue 12).
CREATE TABLE execution.pipeline_runs (
    id          bigserial PRIMARY KEY,
    origin      text NOT NULL,                 -- `sxp run`, `sxp gate`, a worker's gate job …
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
ALTER TABLE execution.enrichment_batches
    ADD COLUMN run_id bigint REFERENCES execution.pipeline_runs (id);
CREATE INDEX enrichment_batches_run ON execution.enrichment_batches (run_id);
GRANT SELECT, INSERT, UPDATE ON execution.pipeline_runs TO sxp_cards;
GRANT USAGE ON SEQUENCE execution.pipeline_runs_id_seq TO sxp_cards;
GRANT SELECT ON execution.pipeline_runs TO sxp_api, sxp_enrich, sxp_export;
