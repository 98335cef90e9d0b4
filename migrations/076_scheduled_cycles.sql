-- A scheduled cycle of the functions is a pipeline run (issue 12): the scan trigger that
-- starts a cycle closes the previous cycle's run and opens the next one, so every gate pass
-- until the next scan draws on one per-run budget. The scan function runs as sxp_ingest.
GRANT SELECT, INSERT, UPDATE ON execution.pipeline_runs TO sxp_ingest;
GRANT USAGE ON SEQUENCE execution.pipeline_runs_id_seq TO sxp_ingest;
GRANT USAGE ON SCHEMA execution TO sxp_ingest;
