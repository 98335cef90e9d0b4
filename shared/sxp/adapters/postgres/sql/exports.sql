-- Export batches (execution.export_batches) and the records of their cards.

-- name: batch_records
SELECT lc.id, lc.profile_id, lc.platform, lc.handle, lc.profile_hash, lc.readiness,
       lc.readiness_score, lc.base_confidence, lc.persona, lc.tribe, lc.audience_pool,
       lc.execution_label, lc.ruleset_version, lc.rules_fired, lc.labeled_at, lc.enrich_state,
       lc.enrich_reason, lc.enrichment_batch_id, lc.enriched_at, lc.dnc,
       lc.created_at AS card_created_at,
       p.platform_user_id, p.display_name, p.bio, p.bio_url, p.location, p.avatar_url,
       p.is_verified, p.followers, p.following, p.posts, p.likes, p.account_created_at,
       p.scraped_at, p.bio_has_contact, p.source_file_id,
       ct.contacts, bz.businesses
FROM execution.lead_cards lc
JOIN social.raw_social_profiles p ON p.id = lc.profile_id
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
        'provider', c.provider, 'first_name', c.first_name, 'last_name', c.last_name,
        'emails', c.emails, 'phones', c.phones, 'confidence', c.confidence,
        'fetched_at', c.fetched_at) ORDER BY c.confidence DESC NULLS LAST, c.id) AS contacts
    FROM contact.contacts c WHERE c.card_id = lc.id) ct ON true
LEFT JOIN LATERAL (
    SELECT jsonb_agg(jsonb_build_object(
        'provider', b.provider, 'name', b.name, 'domain', b.domain, 'industry', b.industry,
        'employee_count', b.employee_count, 'city', b.city, 'state', b.state,
        'confidence', b.confidence, 'fetched_at', b.fetched_at)
        ORDER BY b.confidence DESC NULLS LAST, b.id) AS businesses
    FROM contact.businesses b WHERE b.card_id = lc.id) bz ON true
WHERE lc.export_batch_id = %(batch_id)s
ORDER BY lc.id
