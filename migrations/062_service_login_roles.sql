-- One login role per runtime service; only the migrate job's user owns tables. The deploy
-- creates each as a database user of its own (deploy/README.md) and gives it a password;
-- here they get their group roles and nothing else.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['sxp_api_svc', 'sxp_worker_svc', 'sxp_functions_svc'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE', r);
    END IF;
  END LOOP;
END $$;

-- the worker and the functions run every step: the union of the step roles
GRANT sxp_ingest, sxp_cards, sxp_enrich, sxp_export TO sxp_worker_svc, sxp_functions_svc;
GRANT sxp_api TO sxp_api_svc;

-- the API: Tier 2 for keys with contacts:read, the queue for an admin's retry
GRANT USAGE ON SCHEMA contact TO sxp_api;
GRANT SELECT ON ALL TABLES IN SCHEMA contact TO sxp_api;
GRANT UPDATE (state, attempts, run_after, finished_at, updated_at) ON queue.jobs TO sxp_api;

-- the credit ledger is append-only: reserve, spend and release rows are inserted, never changed
REVOKE UPDATE, DELETE, TRUNCATE ON execution.credit_ledger FROM sxp_cards, sxp_enrich,
    sxp_export, sxp_api;
-- tables added since 002/003 by later migrations
GRANT SELECT, INSERT, UPDATE ON social.imports TO sxp_ingest;
