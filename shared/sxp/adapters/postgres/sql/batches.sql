-- Enrichment batches (execution.enrichment_batches) and the cards they carry.

-- name: create
INSERT INTO execution.enrichment_batches (id, provider, card_count, credits_reserved, run_id)
VALUES (%(id)s, %(provider)s, %(card_count)s, %(credits)s, %(run_id)s)

-- name: queue_cards
UPDATE execution.lead_cards
SET enrich_state = 'queued', enrich_reason = NULL, enrichment_batch_id = %(id)s,
    lookup_inputs = enrich_inputs || CASE WHEN dnc_rechecks > 0
                                          THEN jsonb_build_object('recheck', dnc_rechecks)
                                          ELSE '{}'::jsonb END,
    updated_at = now()
WHERE id = ANY(%(card_ids)s::bigint[]) AND enrich_state = 'new'

-- name: load
SELECT id, provider, state, card_count, credits_reserved, credits_spent, cards_enriched,
       cards_not_found
FROM execution.enrichment_batches WHERE id = %(id)s

-- name: cards
-- the inputs captured when the batch was formed (the cost was reserved for them)
SELECT id, lookup_inputs AS enrich_inputs FROM execution.lead_cards
WHERE enrichment_batch_id = %(id)s ORDER BY id

-- name: try_lock
SELECT pg_try_advisory_lock(%(namespace)s, hashtext(%(id)s)) AS ok

-- name: mark_running
UPDATE execution.enrichment_batches SET state = 'running'
WHERE id = %(id)s AND state = 'reserved'

-- name: return_failed_cards
UPDATE execution.lead_cards
SET enrich_state = 'new', enrichment_batch_id = NULL, enrich_reason = NULL, updated_at = now()
WHERE enrichment_batch_id = %(id)s AND enrich_state = 'failed'

-- name: lock_cards
-- the cards, locked in id order (as the gate and the label step lock theirs) before a writer
-- that takes them all at once
SELECT id FROM execution.lead_cards WHERE id = ANY(%(card_ids)s::bigint[]) ORDER BY id
FOR UPDATE

-- name: set_card_outcomes
-- each card's outcome (one element of each array per card), in one statement (250 cards cost
-- one round trip and one plan, not 250), after `lock_cards`
UPDATE execution.lead_cards c
SET enrich_state = o.state, enrich_reason = o.reason, enriched_at = now(), dnc = o.dnc,
    phones_checked_at = CASE WHEN o.phones_checked THEN now() ELSE c.phones_checked_at END,
    updated_at = now()
FROM unnest(%(card_ids)s::bigint[], %(states)s::text[], %(reasons)s::text[],
            %(dnc)s::boolean[], %(phones_checked)s::boolean[])
     AS o(card_id, state, reason, dnc, phones_checked)
WHERE c.id = o.card_id

-- name: close_done
UPDATE execution.enrichment_batches
SET state = 'done', credits_spent = %(spent)s, cards_enriched = %(enriched)s,
    cards_not_found = %(not_found)s, last_error = NULL, finished_at = now()
WHERE id = %(id)s

-- name: close_failed
UPDATE execution.enrichment_batches
SET state = %(state)s, credits_spent = %(spent)s, last_error = %(error)s, finished_at = now()
WHERE id = %(id)s

-- name: fail_queued_cards
UPDATE execution.lead_cards
SET enrich_state = 'failed', enrich_reason = %(reason)s, updated_at = now()
WHERE enrichment_batch_id = %(id)s AND enrich_state = 'queued'
