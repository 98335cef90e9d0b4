-- Every lead card has its Tier 1 profile, checked once per statement instead of per row.
-- The foreign key lead_cards.profile_id -> raw_social_profiles checked each new card on its
-- own and took a FOR KEY SHARE lock on its profile: building a million cards dirtied every
-- profile page once more, 10 of the cards step's 31 s of Postgres at 1M (issue 14).
--
-- What the key guaranteed, these triggers do:
-- - a new card names a profile that exists: one anti-join of the statement's new cards
--   against Tier 1, after the statement;
-- - a profile with a card cannot be deleted (an erasure removes the card first): one probe of
--   lead_cards' unique profile_id index per deleted profile, after the statement;
-- - no card changes its profile_id (the card is its profile's).
-- The key's row locks kept a card insert and a delete of its profile from both committing;
-- here the 'SXTP' advisory lock does: card inserts hold it shared, Tier 1 deletes alone, and
-- each side checks after taking it, with a snapshot that sees what the other committed
-- (PL/pgSQL takes a fresh one per statement under READ COMMITTED, the isolation sxp uses).
-- The cards step takes it before it reads the profiles it builds from, and an erasure
-- before it removes anything, so they wait for each other instead of failing.
ALTER TABLE execution.lead_cards DROP CONSTRAINT IF EXISTS lead_cards_profile_id_fkey;

CREATE FUNCTION execution.check_new_card_profiles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1398297680);  -- 'SXTP': Tier 1 deletes take it alone
    SELECT n.profile_id INTO missing
    FROM new_cards n LEFT JOIN social.raw_social_profiles p ON p.id = n.profile_id
    WHERE p.id IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('lead card for profile %s, which is not in Tier 1', missing);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER lead_cards_profile_exists
    AFTER INSERT ON execution.lead_cards REFERENCING NEW TABLE AS new_cards
    FOR EACH STATEMENT EXECUTE FUNCTION execution.check_new_card_profiles();

CREATE FUNCTION execution.keep_card_profile() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.profile_id IS DISTINCT FROM OLD.profile_id THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('lead card %s cannot change its profile', OLD.id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER lead_cards_profile_kept
    BEFORE UPDATE OF profile_id ON execution.lead_cards
    FOR EACH ROW EXECUTE FUNCTION execution.keep_card_profile();

CREATE FUNCTION social.check_deleted_profiles_uncarded() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    carded bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(1398297680);  -- 'SXTP': card inserts hold it shared
    SELECT o.id INTO carded
    FROM old_profiles o JOIN execution.lead_cards c ON c.profile_id = o.id LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('profile %s still has a lead card', carded);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER raw_social_profiles_uncarded
    AFTER DELETE ON social.raw_social_profiles REFERENCING OLD TABLE AS old_profiles
    FOR EACH STATEMENT EXECUTE FUNCTION social.check_deleted_profiles_uncarded();
