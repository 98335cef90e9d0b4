-- A batch's cards name their batch, and a consumer's holdings their consumer, checked once per
-- statement instead of per row. The foreign keys batch_cards.batch_id -> export_batches and
-- consumer_cards.consumer_id -> consumers ran one lookup and row lock per card: the export's
-- claim and hand-over (serial statements, one core) spent about 5.7 us a record on them, 1.8 s
-- of a 1M pipeline's export (issue 14).
--
-- What the keys guaranteed, these triggers do, as migration 086 does for cards and profiles:
-- - new rows name a batch (a consumer) that exists: after the statement, each distinct one
--   (a claim names one batch, a hand-over one consumer) is looked up and locked FOR KEY SHARE,
--   as the key locked it, so a delete of it either waits for this transaction and then finds
--   these rows, or committed first and this lookup finds it gone;
-- - a batch (a consumer) still named cannot be deleted: one probe of the naming table's
--   primary key per deleted row, after the statement, with a snapshot that sees what
--   committed meanwhile (PL/pgSQL takes one per statement under READ COMMITTED);
-- - a row does not move to another batch (consumer), nor does a batch (consumer) change id.
-- The functions run as their owner (the keys' checks did too): locking FOR KEY SHARE needs a
-- privilege on the named table that a role inserting the rows need not have.
ALTER TABLE execution.batch_cards DROP CONSTRAINT IF EXISTS batch_cards_batch_id_fkey;
ALTER TABLE execution.consumer_cards DROP CONSTRAINT IF EXISTS consumer_cards_consumer_id_fkey;

CREATE FUNCTION execution.check_new_batch_cards() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    named text;
BEGIN
    FOR named IN SELECT DISTINCT batch_id FROM new_rows LOOP
        PERFORM 1 FROM execution.export_batches WHERE id = named FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE foreign_key_violation USING
                MESSAGE = format('batch card for batch %s, which does not exist', named);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER batch_cards_batch_exists
    AFTER INSERT ON execution.batch_cards REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution.check_new_batch_cards();

CREATE FUNCTION execution.check_new_consumer_cards() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    named bigint;
BEGIN
    FOR named IN SELECT DISTINCT consumer_id FROM new_rows LOOP
        PERFORM 1 FROM execution.consumers WHERE id = named FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE foreign_key_violation USING
                MESSAGE = format('card held by consumer %s, which does not exist', named);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER consumer_cards_consumer_exists
    AFTER INSERT ON execution.consumer_cards REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution.check_new_consumer_cards();

CREATE FUNCTION execution.keep_named_key() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    IF to_jsonb(NEW) -> TG_ARGV[0] IS DISTINCT FROM to_jsonb(OLD) -> TG_ARGV[0] THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('%s.%s cannot change', TG_TABLE_NAME, TG_ARGV[0]);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER batch_cards_batch_kept BEFORE UPDATE OF batch_id ON execution.batch_cards
    FOR EACH ROW EXECUTE FUNCTION execution.keep_named_key('batch_id');
CREATE TRIGGER consumer_cards_consumer_kept BEFORE UPDATE OF consumer_id
    ON execution.consumer_cards FOR EACH ROW EXECUTE FUNCTION execution.keep_named_key('consumer_id');
CREATE TRIGGER export_batches_id_kept BEFORE UPDATE OF id ON execution.export_batches
    FOR EACH ROW EXECUTE FUNCTION execution.keep_named_key('id');
CREATE TRIGGER consumers_id_kept BEFORE UPDATE OF id ON execution.consumers
    FOR EACH ROW EXECUTE FUNCTION execution.keep_named_key('id');

CREATE FUNCTION execution.check_deleted_batches_unnamed() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    named text;
BEGIN
    SELECT o.id INTO named
    FROM old_rows o WHERE EXISTS (SELECT 1 FROM execution.batch_cards bc WHERE bc.batch_id = o.id)
    LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('batch %s still has batch cards', named);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER export_batches_unnamed
    AFTER DELETE ON execution.export_batches REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution.check_deleted_batches_unnamed();

CREATE FUNCTION execution.check_deleted_consumers_unnamed() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    named bigint;
BEGIN
    SELECT o.id INTO named
    FROM old_rows o
    WHERE EXISTS (SELECT 1 FROM execution.consumer_cards cc WHERE cc.consumer_id = o.id)
    LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('consumer %s still holds cards', named);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER consumers_unnamed
    AFTER DELETE ON execution.consumers REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution.check_deleted_consumers_unnamed();
