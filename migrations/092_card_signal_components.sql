-- A card's signals in two columns: the facts in `signals` (jsonb, as before: the label step
-- and `sxp rules diff` read `account_age_days` and `engagement_ratio` from it by key), and the
-- readiness and confidence components behind its scores in `signal_components` (json: stored
-- as written, validated but not converted, and read whole when a card is shown). The two
-- component objects held 15 of a card's 25 numbers, and jsonb turns each into a numeric on
-- the way in: writing a new card cost about 3.4 µs less in Postgres with them apart (18.0
-- against 21.3 µs per row into a table with lead_cards' indexes; issue 14).
-- Cards written before keep their components in `signals` and NULL here; readers take
-- `signals || coalesce(signal_components::jsonb, '{}')`, which is the same object either way.
ALTER TABLE execution.lead_cards ADD COLUMN signal_components json;

-- The cards step's ANALYZE (migration 089) leaves the new document column out too.
CREATE OR REPLACE FUNCTION execution.refresh_card_statistics() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    scalar_columns text;
BEGIN
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO scalar_columns
    FROM pg_attribute
    WHERE attrelid = 'execution.lead_cards'::regclass AND attnum > 0 AND NOT attisdropped
      AND atttypid NOT IN ('jsonb'::regtype, 'json'::regtype);
    EXECUTE format('ANALYZE execution.lead_cards (%s)', scalar_columns);
END $$;
