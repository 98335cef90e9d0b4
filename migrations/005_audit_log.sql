-- Append-only, hash-chained audit log. No PII: ids, counts, checksums and outcomes only.
CREATE TABLE audit.audit_log (
    id              bigserial PRIMARY KEY,
    event_type      text NOT NULL,
    actor           text NOT NULL,
    service         text NOT NULL,
    batch_id        text,
    schema_version  text NOT NULL,
    outcome         text NOT NULL,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    details         jsonb NOT NULL DEFAULT '{}'::jsonb,
    checksum        text,
    prev_checksum   text,
    chain_hash      text
);
CREATE UNIQUE INDEX audit_log_event_once ON audit.audit_log (event_type, batch_id)
    WHERE batch_id IS NOT NULL;

-- Chain each row to the previous one; serialised by a transaction-level advisory lock.
CREATE FUNCTION audit.chain_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = audit, pg_catalog AS $$
DECLARE prev text;
BEGIN
  PERFORM pg_advisory_xact_lock(5858505);
  SELECT chain_hash INTO prev FROM audit.audit_log ORDER BY id DESC LIMIT 1;
  NEW.prev_checksum := coalesce(prev, '');
  NEW.occurred_at := coalesce(NEW.occurred_at, now());
  NEW.chain_hash := encode(sha256(convert_to(concat_ws('|', NEW.prev_checksum, NEW.event_type,
      NEW.actor, NEW.service, coalesce(NEW.batch_id, ''), NEW.schema_version, NEW.outcome,
      NEW.occurred_at::text, coalesce(NEW.checksum, ''), NEW.details::text), 'UTF8')), 'hex');
  RETURN NEW;
END $$;

CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit.audit_log is append-only (% refused)', TG_OP
      USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit.audit_log
    FOR EACH ROW EXECUTE FUNCTION audit.chain_row();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit.audit_log
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

GRANT USAGE ON SCHEMA audit TO sxp_audit_writer, sxp_audit_reader;
GRANT INSERT ON audit.audit_log TO sxp_audit_writer;
-- ON CONFLICT (event_type, batch_id) inference needs to read those two columns, nothing else.
GRANT SELECT (event_type, batch_id) ON audit.audit_log TO sxp_audit_writer;
GRANT USAGE ON SEQUENCE audit.audit_log_id_seq TO sxp_audit_writer;
GRANT SELECT ON audit.audit_log TO sxp_audit_reader;
-- Services that write audit events inherit the writer role; the API may read.
GRANT sxp_audit_writer TO sxp_enrich, sxp_export;
GRANT sxp_audit_reader TO sxp_api;
