-- What each gate pass decided, per run (issue 15): `sxp run`'s summary shows the gate's
-- results, what the budget left out included, and the console charts them.
CREATE TABLE execution.gate_passes (
    id                bigserial PRIMARY KEY,
    run_id            bigint REFERENCES execution.pipeline_runs (id),
    provider          text NOT NULL,
    eligible          integer NOT NULL,
    cards_queued      integer NOT NULL,
    out_of_budget     integer NOT NULL,
    ineligible        integer NOT NULL,
    batches           integer NOT NULL,
    credits_reserved  integer NOT NULL,
    credits_available integer NOT NULL,
    passed_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX gate_passes_run ON execution.gate_passes (run_id);
GRANT SELECT, INSERT ON execution.gate_passes TO sxp_cards, sxp_enrich;
GRANT USAGE ON SEQUENCE execution.gate_passes_id_seq TO sxp_cards, sxp_enrich;
GRANT SELECT ON execution.gate_passes TO sxp_api, sxp_export;
