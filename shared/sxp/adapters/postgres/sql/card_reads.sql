-- Lead cards for the API's read side.

-- name: page
SELECT c.id, c.platform, c.handle, c.readiness, c.readiness_score::float8 AS readiness_score,
       c.base_confidence::float8 AS base_confidence, c.persona, c.tribe, c.audience_pool,
       c.execution_label, c.ruleset_version, c.enrich_state, c.enrich_reason, c.updated_at
FROM execution.lead_cards c
WHERE c.id > %(after_id)s
  AND (%(execution_label)s::text IS NULL OR c.execution_label = %(execution_label)s)
  AND (%(audience_pool)s::text IS NULL OR c.audience_pool = %(audience_pool)s)
  AND (%(persona)s::text IS NULL OR c.persona = %(persona)s)
  AND (%(tribe)s::text IS NULL OR c.tribe = %(tribe)s)
  AND (%(enrich_state)s::text IS NULL OR c.enrich_state = %(enrich_state)s)
  AND (%(platform)s::text IS NULL OR c.platform = %(platform)s)
  AND (%(updated_since)s::timestamptz IS NULL OR c.updated_at >= %(updated_since)s)
ORDER BY c.id
LIMIT %(limit)s

-- name: one
SELECT c.id, c.profile_id, c.platform, c.handle, c.profile_hash, c.readiness,
       c.readiness_score, c.base_confidence,
       -- the facts and the components behind the scores (one jsonb before migration 092)
       c.signals || coalesce(c.signal_components::jsonb, '{}'::jsonb) AS signals,
       c.persona, c.tribe, c.audience_pool,
       c.execution_label, c.ruleset_version, c.rules_fired, c.labeled_at, c.enrich_state,
       c.enrich_reason, c.enrichment_batch_id, c.enriched_at, c.dnc,
       (SELECT bc.batch_id FROM execution.batch_cards bc
        JOIN execution.export_batches x ON x.id = bc.batch_id
        WHERE bc.card_id = c.id AND bc.action = 'record' AND x.state = 'published'
        ORDER BY x.published_at, x.id LIMIT 1) AS export_batch_id,
       c.created_at, c.updated_at, b.provider AS enrichment_provider
FROM execution.lead_cards c
LEFT JOIN execution.enrichment_batches b ON b.id = c.enrichment_batch_id
WHERE c.id = %(id)s

-- name: contacts
SELECT 'contact' AS kind, ct.provider, ct.first_name, ct.last_name, ct.emails, ct.phones,
       ct.confidence, ct.fetched_at, NULL::text AS name, NULL::text AS domain
FROM contact.contacts ct WHERE ct.card_id = %(id)s
UNION ALL
SELECT 'business', bz.provider, NULL, NULL, NULL, NULL, bz.confidence, bz.fetched_at, bz.name,
       bz.domain
FROM contact.businesses bz WHERE bz.card_id = %(id)s
