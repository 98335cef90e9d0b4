-- Tier 2 (contact.contacts, contact.businesses): what the providers found for each card.

-- name: upsert_contacts
-- each (card, provider)'s person, from one JSON array of rows (no pair twice), in its order
-- (new rows take their ids in it: the export lists a card's contacts by confidence, then id);
-- the confidence is read as the float it was and stored as a float parameter would be
INSERT INTO contact.contacts (card_id, provider, provider_record_id, call_id, fetched_at,
                              confidence, first_name, last_name, emails, phones)
SELECT r.card_id, r.provider, r.provider_record_id, r.call_id, %(fetched_at)s, r.confidence,
       r.first_name, r.last_name, r.emails, r.phones
FROM ROWS FROM (jsonb_to_recordset(%(rows)s::jsonb)
                AS (card_id bigint, provider text, provider_record_id text, call_id bigint,
                    confidence float8, first_name text, last_name text, emails jsonb,
                    phones jsonb)) WITH ORDINALITY AS r
ORDER BY r.ordinality
ON CONFLICT (card_id, provider) DO UPDATE SET
    provider_record_id = EXCLUDED.provider_record_id, call_id = EXCLUDED.call_id,
    fetched_at = EXCLUDED.fetched_at, confidence = EXCLUDED.confidence,
    first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
    emails = EXCLUDED.emails, phones = EXCLUDED.phones

-- name: upsert_businesses
-- each (card, provider)'s business, as `upsert_contacts` writes people
INSERT INTO contact.businesses (card_id, provider, provider_record_id, call_id, fetched_at,
                                confidence, name, domain, industry, employee_count, city, state)
SELECT r.card_id, r.provider, r.provider_record_id, r.call_id, %(fetched_at)s, r.confidence,
       r.name, r.domain, r.industry, r.employee_count, r.city, r.state
FROM ROWS FROM (jsonb_to_recordset(%(rows)s::jsonb)
                AS (card_id bigint, provider text, provider_record_id text, call_id bigint,
                    confidence float8, name text, domain text, industry text,
                    employee_count integer, city text, state text)) WITH ORDINALITY AS r
ORDER BY r.ordinality
ON CONFLICT (card_id, provider) DO UPDATE SET
    provider_record_id = EXCLUDED.provider_record_id, call_id = EXCLUDED.call_id,
    fetched_at = EXCLUDED.fetched_at, confidence = EXCLUDED.confidence,
    name = EXCLUDED.name, domain = EXCLUDED.domain, industry = EXCLUDED.industry,
    employee_count = EXCLUDED.employee_count, city = EXCLUDED.city, state = EXCLUDED.state
