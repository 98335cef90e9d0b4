-- Audit retention (issue 13): rows older than the audit period can be pruned without breaking
-- the chain. An anchor keeps the chain hash of the last pruned row, which the first kept row
-- names as its prev_checksum; `sxp audit verify` starts from it. Pruning goes through one
-- definer function only, which refuses cut-offs younger than 30 days; the append-only guard
-- still refuses every other UPDATE, DELETE and TRUNCATE.
CREATE TABLE audit.anchors (
    id             bigserial PRIMARY KEY,
    first_kept_id  bigint,
    prev_checksum  text NOT NULL,
    pruned_rows    bigint NOT NULL,
    pruned_before  timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON audit.anchors TO sxp_audit_reader;

CREATE OR REPLACE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('sxp.audit_prune', true) = 'on' THEN
    RETURN OLD;  -- audit.prune_before, and only it, sets this for its own transaction
  END IF;
  RAISE EXCEPTION 'audit.audit_log is append-only (% refused)', TG_OP
      USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION audit.prune_before(cutoff timestamptz) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = audit, pg_catalog AS $$
DECLARE last_id bigint; last_hash text; pruned bigint;
BEGIN
  IF cutoff > now() - interval '30 days' THEN
    RAISE EXCEPTION 'audit rows younger than 30 days are never pruned (cut-off %)', cutoff
        USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM pg_advisory_xact_lock(5858505);  -- the chain writers' lock
  SELECT id, chain_hash INTO last_id, last_hash FROM audit.audit_log
   WHERE occurred_at < cutoff ORDER BY id DESC LIMIT 1;
  IF last_id IS NULL THEN
    RETURN 0;
  END IF;
  PERFORM set_config('sxp.audit_prune', 'on', true);
  DELETE FROM audit.audit_log WHERE id <= last_id;
  GET DIAGNOSTICS pruned = ROW_COUNT;
  PERFORM set_config('sxp.audit_prune', 'off', true);
  INSERT INTO audit.anchors (first_kept_id, prev_checksum, pruned_rows, pruned_before)
  VALUES ((SELECT min(id) FROM audit.audit_log), last_hash, pruned, cutoff);
  RETURN pruned;
END $$;
REVOKE ALL ON FUNCTION audit.prune_before(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.prune_before(timestamptz) TO sxp_worker_svc, sxp_functions_svc;
GRANT USAGE ON SCHEMA audit TO sxp_worker_svc, sxp_functions_svc;
