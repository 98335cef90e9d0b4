-- DNC staleness (issue 13): a card whose phones' do-not-call status is older than the rules
-- file's `dnc.max_age_days` can be looked up again by the gate; each re-check is counted, and
-- the count makes the lookup a new request (never the stored, stale answer).
-- `phones_checked_at`: when the card's last answer with phones came (their DNC status is as
-- of then); the gate's role reads it without reading Tier 2.
ALTER TABLE execution.lead_cards
    ADD COLUMN dnc_rechecks integer NOT NULL DEFAULT 0,
    ADD COLUMN phones_checked_at timestamptz;
UPDATE execution.lead_cards c SET phones_checked_at = c.enriched_at
 WHERE c.enrich_state = 'enriched'
   AND EXISTS (SELECT 1 FROM contact.contacts ct WHERE ct.card_id = c.id
               AND jsonb_array_length(coalesce(ct.phones, '[]'::jsonb)) > 0);
CREATE INDEX lead_cards_phones_checked ON execution.lead_cards (phones_checked_at)
    WHERE enrich_state = 'enriched' AND phones_checked_at IS NOT NULL;
