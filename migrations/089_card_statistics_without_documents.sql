-- The cards step's ANALYZE of lead_cards (migration 088) without its jsonb columns (signals,
-- enrich_inputs, rules_fired, lookup_inputs): the planner takes nothing from their
-- statistics (no query compares a whole document), and sampling and sorting them cost about
-- a third of the ANALYZE (0.93 -> 0.60 s after a 1M-card step; issue 14). Every other
-- column, including those added later, is read from the catalog at each call. Autovacuum's
-- own ANALYZE still covers the whole table.
CREATE OR REPLACE FUNCTION execution.refresh_card_statistics() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    scalar_columns text;
BEGIN
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO scalar_columns
    FROM pg_attribute
    WHERE attrelid = 'execution.lead_cards'::regclass AND attnum > 0 AND NOT attisdropped
      AND atttypid <> 'jsonb'::regtype;
    EXECUTE format('ANALYZE execution.lead_cards (%s)', scalar_columns);
END $$;
REVOKE ALL ON FUNCTION execution.refresh_card_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION execution.refresh_card_statistics() TO sxp_cards;
