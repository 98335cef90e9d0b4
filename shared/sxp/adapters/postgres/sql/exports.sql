-- Export batches (execution.export_batches), the cards they take and the records of them.

-- name: batch_records
-- one slice of the batch's records (card ids from first to last), as the records file takes them
SELECT lc.id, lc.profile_id, lc.platform, lc.handle, lc.profile_hash, lc.readiness,
       lc.readiness_score, lc.base_confidence, lc.persona, lc.tribe, lc.audience_pool,
       lc.execution_label, lc.ruleset_version, lc.rules_fired, lc.labeled_at, lc.enrich_state,
       lc.enrich_reason, lc.enrichment_batch_id, lc.enriched_at, lc.dnc,
       lc.created_at AS card_created_at,
       p.platform_user_id, p.display_name, p.bio, p.bio_url, p.location, p.avatar_url,
       p.is_verified, p.followers, p.following, p.posts, p.likes, p.account_created_at,
       p.scraped_at, p.bio_has_contact, p.source_file_id,
       ct.contacts, bz.businesses
FROM execution.batch_cards bc
JOIN execution.lead_cards lc ON lc.id = bc.card_id
JOIN social.raw_social_profiles p ON p.id = lc.profile_id
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
        'provider', c.provider, 'first_name', c.first_name, 'last_name', c.last_name,
        'emails', c.emails, 'phones', c.phones, 'confidence', c.confidence,
        'fetched_at', c.fetched_at) ORDER BY c.confidence DESC NULLS LAST, c.id) AS contacts
    FROM contact.contacts c WHERE c.card_id = lc.id AND %(include_contact)s) ct ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
        'provider', b.provider, 'name', b.name, 'domain', b.domain, 'industry', b.industry,
        'employee_count', b.employee_count, 'city', b.city, 'state', b.state,
        'confidence', b.confidence, 'fetched_at', b.fetched_at)
        ORDER BY b.confidence DESC NULLS LAST, b.id) AS businesses
    FROM contact.businesses b WHERE b.card_id = lc.id AND %(include_contact)s) bz ON true
WHERE bc.batch_id = %(batch_id)s AND bc.action = 'record'
  AND bc.card_id BETWEEN %(first_card)s AND %(last_card)s
ORDER BY bc.card_id

-- name: batch_record_ids
-- the batch's records in card id order (`batch_records` reads them a slice at a time)
SELECT card_id FROM execution.batch_cards
WHERE batch_id = %(batch_id)s AND action = 'record'
ORDER BY card_id

-- name: claim_cards
-- The consumer's next span of the handoff sequence: up to `limit` places after its cursor and
-- up to the committed watermark, cards and tombstones alike. A ready card the consumer wants
-- and does not hold in this version becomes a record; a ready card it holds but no longer
-- wants, a withdrawal; an erased card it was ever given, an `erased` withdrawal; the rest
-- only move the cursor.
WITH first_cards AS MATERIALIZED (
    -- each side stops at `limit` places by its index: a batch costs its span, not the rest
    -- of the sequence; the cards' side is read once, for the bound and for the span
    SELECT lc.id, lc.version, lc.handoff_seq,
           coalesce(
             ((%(labels)s::text[] IS NULL AND lc.execution_label IS DISTINCT FROM 'hold')
               OR lc.execution_label = ANY(%(labels)s::text[]))
             AND (%(pools)s::text[] IS NULL OR lc.audience_pool = ANY(%(pools)s::text[])),
             false) AS wanted,
           lc.labeled_at IS NOT NULL AND lc.export_error IS NULL
           AND lc.enrich_state IN ('enriched', 'not_found', 'ineligible') AS ready
    FROM execution.lead_cards lc
    WHERE lc.handoff_seq > %(cursor)s AND lc.handoff_seq <= %(watermark)s
    ORDER BY lc.handoff_seq LIMIT %(limit)s
), bound AS (
    SELECT max(seq) AS seq_to FROM (
        SELECT seq FROM (
            SELECT handoff_seq AS seq FROM first_cards
            UNION ALL
            (SELECT handoff_seq FROM execution.card_tombstones
             WHERE handoff_seq > %(cursor)s AND handoff_seq <= %(watermark)s
             ORDER BY handoff_seq LIMIT %(limit)s)
        ) places ORDER BY seq LIMIT %(limit)s) first_places
), span AS MATERIALIZED (
    -- what the consumer holds, probed card by card (not a scan of all it holds)
    SELECT f.id, f.version, f.wanted, f.ready,
           (SELECT cc.version FROM execution.consumer_cards cc
            WHERE cc.consumer_id = %(consumer_id)s AND cc.card_id = f.id) AS held
    FROM first_cards f WHERE f.handoff_seq <= (SELECT seq_to FROM bound)
), gone AS (
    SELECT t.card_id, t.version, cc.version AS held
    FROM execution.card_tombstones t
    LEFT JOIN execution.consumer_cards cc
           ON cc.consumer_id = %(consumer_id)s AND cc.card_id = t.card_id
    WHERE t.handoff_seq > %(cursor)s AND t.handoff_seq <= (SELECT seq_to FROM bound)
      AND EXISTS (SELECT 1 FROM execution.batch_cards bc
                  JOIN execution.export_batches b ON b.id = bc.batch_id
                  WHERE bc.card_id = t.card_id AND bc.action = 'record'
                    AND b.consumer_id = %(consumer_id)s AND b.state = 'published')
), taken AS (
    INSERT INTO execution.batch_cards (batch_id, card_id, version, supersedes_version, action,
                                       reason)
    SELECT %(batch_id)s, id, version, held,
           CASE WHEN wanted THEN 'record' ELSE 'withdrawal' END,
           CASE WHEN wanted THEN NULL ELSE 'filter' END
    FROM span
    WHERE ready AND ((wanted AND (held IS NULL OR held < version))
                     OR (NOT wanted AND held IS NOT NULL))
    UNION ALL
    SELECT %(batch_id)s, card_id, version, held, 'withdrawal', 'erased' FROM gone
    RETURNING action
)
SELECT (SELECT seq_to FROM bound) AS seq_to,
       (SELECT count(*) FROM taken WHERE action = 'record') AS records,
       (SELECT count(*) FROM taken WHERE action = 'withdrawal') AS withdrawals

-- name: hand_over
-- Publishing: the consumer now holds each record's version; withdrawn cards it holds no more.
WITH recorded AS (
    INSERT INTO execution.consumer_cards (consumer_id, card_id, version, batch_id)
    SELECT %(consumer_id)s, card_id, version, batch_id FROM execution.batch_cards
    WHERE batch_id = %(batch_id)s AND action = 'record'
    ON CONFLICT (consumer_id, card_id) DO UPDATE
        SET version = EXCLUDED.version, batch_id = EXCLUDED.batch_id
    RETURNING card_id
), withdrawn AS (
    DELETE FROM execution.consumer_cards cc USING execution.batch_cards bc
    WHERE bc.batch_id = %(batch_id)s AND bc.action = 'withdrawal'
      AND cc.consumer_id = %(consumer_id)s AND cc.card_id = bc.card_id
    RETURNING cc.card_id
)
SELECT (SELECT count(*) FROM recorded) AS recorded, (SELECT count(*) FROM withdrawn) AS withdrawn

-- name: pending_consumers
-- Active consumers with cards or tombstones past their cursor: the last place of each sequence
-- (one probe of its index's end) against each cursor. An EXISTS of a place past the cursor was
-- planned as a scan of lead_cards that passed every place before the cursor (and every card
-- not yet in the sequence) first: 140 ms after each export batch of a 1M pool.
SELECT c.id FROM execution.consumers c
WHERE c.state = 'active'
  AND greatest((SELECT max(handoff_seq) FROM execution.lead_cards),
               (SELECT max(handoff_seq) FROM execution.card_tombstones)) > c.cursor_seq
