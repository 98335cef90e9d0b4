-- The planner's statistics of lead_cards, refreshed by the cards step after it wrote a large
-- part of the table (issue 14). Without them a pool built a minute ago is planned as the
-- empty table it was: the export's claim read the whole rest of the handoff sequence to find
-- the first 50,000 places of a batch (a bitmap scan and a sort where an ordered index scan
-- stops at the limit), once per batch. Only the table's owner may ANALYZE it (Postgres 16 has
-- no MAINTAIN privilege), so the step calls this function, which may do nothing else.
CREATE FUNCTION execution.refresh_card_statistics() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
    ANALYZE execution.lead_cards;
END $$;
REVOKE ALL ON FUNCTION execution.refresh_card_statistics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION execution.refresh_card_statistics() TO sxp_cards;
