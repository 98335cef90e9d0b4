-- The audit chain no longer depends on the session's time zone (v1 hashed occurred_at::text,
-- which renders in it), and no writer chooses occurred_at: the database's clock is the time.
ALTER TABLE audit.audit_log ADD COLUMN chain_version smallint NOT NULL DEFAULT 1;
ALTER TABLE audit.audit_log ALTER COLUMN chain_version SET DEFAULT 2;

CREATE FUNCTION audit.row_hash(prev text, event_type text, actor text, service text,
                               batch_id text, schema_version text, outcome text,
                               occurred_at timestamptz, checksum text, details jsonb,
                               chain_version smallint)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog AS $$
  SELECT encode(sha256(convert_to(concat_ws('|', prev, event_type, actor, service,
      coalesce(batch_id, ''), schema_version, outcome,
      CASE WHEN chain_version = 1
           THEN (occurred_at AT TIME ZONE 'UTC')::text || '+00'
           ELSE to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END,
      coalesce(checksum, ''), details::text), 'UTF8')), 'hex')
$$;

CREATE OR REPLACE FUNCTION audit.chain_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = audit, pg_catalog AS $$
DECLARE prev text;
BEGIN
  PERFORM pg_advisory_xact_lock(5858505);
  SELECT chain_hash INTO prev FROM audit.audit_log ORDER BY id DESC LIMIT 1;
  NEW.prev_checksum := coalesce(prev, '');
  NEW.occurred_at := now();
  NEW.chain_version := 2;
  NEW.chain_hash := audit.row_hash(NEW.prev_checksum, NEW.event_type, NEW.actor, NEW.service,
      NEW.batch_id, NEW.schema_version, NEW.outcome, NEW.occurred_at, NEW.checksum,
      NEW.details, NEW.chain_version);
  RETURN NEW;
END $$;

GRANT EXECUTE ON FUNCTION audit.row_hash TO sxp_audit_reader;
