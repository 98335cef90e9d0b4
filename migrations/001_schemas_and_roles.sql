-- Tiers are schemas; services connect with roles that see only what they need.
CREATE SCHEMA IF NOT EXISTS social;     -- Tier 1: public social profiles, PII-free
CREATE SCHEMA IF NOT EXISTS contact;    -- Tier 2: enriched contacts and businesses (PII)
CREATE SCHEMA IF NOT EXISTS execution;  -- Tier 3: lead cards, batches, exports
CREATE SCHEMA IF NOT EXISTS audit;      -- append-only audit log
CREATE SCHEMA IF NOT EXISTS queue;      -- Postgres job queue

DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['sxp_ingest', 'sxp_cards', 'sxp_enrich', 'sxp_export', 'sxp_api',
                           'sxp_audit_writer', 'sxp_audit_reader']
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END $$;
