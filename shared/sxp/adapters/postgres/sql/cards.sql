-- Lead cards (execution.lead_cards): built from Tier 1, labeled, gated.

-- name: stale_profile_ids
-- every stale profile, or (with a source file) those the file changed: a file's changes name
-- it (`source_file_id`), so its cards job reads them by index, not the whole pool
SELECT p.id
FROM social.raw_social_profiles p
LEFT JOIN execution.lead_cards c ON c.profile_id = p.id
WHERE (c.id IS NULL OR c.profile_hash <> p.content_hash)
  AND (%(source_file_id)s::bigint IS NULL OR p.source_file_id = %(source_file_id)s::bigint)
ORDER BY p.id

-- name: stale_profiles
-- the stale profiles (as `stale_profile_ids` finds them) with ids from first to last, each
-- with the fields of a card's signals (`SIGNAL_FIELDS`, in order) and whether it has a card
SELECT p.id AS profile_id, p.platform, p.handle, p.content_hash, p.scraped_at, p.display_name,
       p.bio, p.bio_url, p.location, p.is_verified, p.followers, p.following, p.posts, p.likes,
       p.account_created_at, p.bio_has_contact, c.id IS NOT NULL AS has_card
FROM social.raw_social_profiles p
LEFT JOIN execution.lead_cards c ON c.profile_id = p.id
WHERE (c.id IS NULL OR c.profile_hash <> p.content_hash)
  AND p.id BETWEEN %(first_id)s AND %(last_id)s
  -- the file's profiles of the run, filtered from the run's rows (`+ 0`: not by the file's
  -- index, which the planner ANDed with the run's and read whole, every profile of the file
  -- for each run of 5,000: 40 of a run's 62 ms at 1M, 7.5 s of the cards step's Postgres)
  AND (%(source_file_id)s::bigint IS NULL OR p.source_file_id + 0 = %(source_file_id)s::bigint)
ORDER BY p.id

-- name: upsert_cards
-- cards come labeled (under the rules file's version of the cards step): the label step
-- finds them current. Each comes with the gate's decision the builder stores (`FRESH`: the
-- next gate pass decides; `budget_exhausted`: eligible and waiting; else `ineligible` and
-- why), for new cards and for waiting ones refreshed. A changed card goes back to the gate
-- (and takes the decision) when it waits, or was refused; an enriched or not-found one when
-- the rules file's re-enrichment rule says so (its new inputs differ from those of its
-- lookup, and the lookup is older than the window); otherwise the stored answer stands.
-- Deciding this in the conflict's update, from the stored row, costs nothing more per card: a
-- separate update joining tmp_cards to lead_cards was planned as a scan of all the cards,
-- once per chunk. New cards usually skip this statement (`copy_new_cards`).
INSERT INTO execution.lead_cards AS c (profile_id, platform, handle, profile_hash, readiness,
    readiness_score, base_confidence, signals, signal_components, enrich_inputs, persona, tribe,
    audience_pool, execution_label, ruleset_version, rules_fired, labeled_hash, labeled_at,
    enrich_state, enrich_reason)
SELECT profile_id, platform, handle, profile_hash, readiness, readiness_score, base_confidence,
    signals, signal_components, enrich_inputs, persona, tribe, audience_pool, execution_label,
    ruleset_version, rules_fired, labeled_hash, labeled_at, enrich_state, enrich_reason
FROM tmp_cards ORDER BY profile_id
ON CONFLICT (profile_id) DO UPDATE SET
    platform = EXCLUDED.platform, handle = EXCLUDED.handle, profile_hash = EXCLUDED.profile_hash,
    readiness = EXCLUDED.readiness, readiness_score = EXCLUDED.readiness_score,
    base_confidence = EXCLUDED.base_confidence, signals = EXCLUDED.signals,
    signal_components = EXCLUDED.signal_components,
    -- derived from the profile, always current; the inputs of the card's lookup are kept in
    -- lookup_inputs, and the enrich_state below decides whether it is looked up again
    enrich_inputs = EXCLUDED.enrich_inputs,
    persona = EXCLUDED.persona, tribe = EXCLUDED.tribe, audience_pool = EXCLUDED.audience_pool,
    execution_label = EXCLUDED.execution_label, ruleset_version = EXCLUDED.ruleset_version,
    rules_fired = EXCLUDED.rules_fired, labeled_hash = EXCLUDED.labeled_hash,
    labeled_at = EXCLUDED.labeled_at,
    enrich_state = CASE WHEN c.enrich_state IN ('new', 'ineligible')
                             OR (c.enrich_state IN ('enriched', 'not_found') AND %(on_input_change)s
                                 AND EXCLUDED.enrich_inputs IS DISTINCT FROM c.lookup_inputs
                                 AND c.enriched_at < now() - make_interval(secs => %(min_age_s)s))
                        THEN EXCLUDED.enrich_state ELSE c.enrich_state END,
    enrich_reason = CASE WHEN c.enrich_state IN ('new', 'ineligible')
                              OR (c.enrich_state IN ('enriched', 'not_found') AND %(on_input_change)s
                                  AND EXCLUDED.enrich_inputs IS DISTINCT FROM c.lookup_inputs
                                  AND c.enriched_at < now() - make_interval(secs => %(min_age_s)s))
                         THEN EXCLUDED.enrich_reason ELSE c.enrich_reason END,
    updated_at = now()
WHERE c.profile_hash IS DISTINCT FROM EXCLUDED.profile_hash

-- name: reopen_stale_dnc
-- Enriched cards of an enrichable label whose phones' do-not-call status is older than the
-- rules file's limit go back to the gate for a fresh lookup (counted: a new request).
UPDATE execution.lead_cards c
SET enrich_state = 'new', enrich_reason = NULL, dnc_rechecks = c.dnc_rechecks + 1,
    updated_at = now()
WHERE c.enrich_state = 'enriched' AND c.execution_label = ANY(%(labels)s::text[])
  AND c.phones_checked_at < now() - make_interval(secs => %(max_age_s)s)

-- name: unlabeled
-- Cards whose labels are not current under the ruleset version: never labeled, profile
-- changed since, or labeled under another version and not compared by this version's pass;
-- with a source file, only the cards of the profiles it changed (read by index).
SELECT c.id AS card_id, c.profile_hash, c.readiness, c.readiness_score, c.base_confidence,
       jsonb_build_object('account_age_days', c.signals -> 'account_age_days',
                          'engagement_ratio', c.signals -> 'engagement_ratio') AS signals,
       c.enrich_inputs, p.platform, p.handle, p.display_name, p.bio, p.bio_url, p.location,
       p.is_verified, p.followers, p.following, p.posts, p.likes, p.bio_has_contact,
       c.persona AS labeled_persona, c.tribe AS labeled_tribe,
       c.audience_pool AS labeled_audience_pool, c.execution_label AS labeled_execution_label,
       c.rules_fired AS labeled_rules_fired, c.enrich_state,
       split_part(c.labeled_hash, '@', 1) = c.profile_hash AS profile_unchanged
FROM execution.lead_cards c JOIN social.raw_social_profiles p ON p.id = c.profile_id
WHERE c.labeled_hash IS DISTINCT FROM c.profile_hash || '@' || %(version)s
  AND NOT coalesce(split_part(c.labeled_hash, '@', 1) = c.profile_hash
                    AND c.labeled_at < (SELECT lp.completed_at FROM execution.label_passes lp
                                        WHERE lp.ruleset_version = %(version)s), false)
  AND (%(source_file_id)s::bigint IS NULL OR p.source_file_id = %(source_file_id)s::bigint)
ORDER BY c.id

-- name: record_label_pass
INSERT INTO execution.label_passes (ruleset_version) VALUES (%(version)s)
ON CONFLICT (ruleset_version) DO UPDATE SET completed_at = now()

-- name: lock_labeled
-- in id order, as the gate locks, so a label and a gate running together cannot deadlock
SELECT id FROM execution.lead_cards WHERE id IN (SELECT card_id FROM tmp_labels)
ORDER BY id FOR UPDATE

-- name: apply_labels
UPDATE execution.lead_cards c
SET persona = t.persona, tribe = t.tribe, audience_pool = t.audience_pool,
    execution_label = t.execution_label, ruleset_version = %s, rules_fired = t.rules_fired,
    labeled_hash = t.labeled_hash, labeled_at = now(), updated_at = now(),
    -- new labels, a new decision: a card refused or waiting for budget is gated afresh
    enrich_state = CASE WHEN c.enrich_state = 'ineligible' THEN 'new' ELSE c.enrich_state END,
    enrich_reason = CASE WHEN c.enrich_state IN ('ineligible', 'new') THEN NULL
                         ELSE c.enrich_reason END
FROM tmp_labels t WHERE c.id = t.card_id

-- name: label_pool
-- every card with the facts the rules see and the labels it has now (`sxp rules diff`)
SELECT c.id AS card_id, c.profile_hash, c.readiness, c.readiness_score, c.base_confidence,
       jsonb_build_object('account_age_days', c.signals -> 'account_age_days',
                          'engagement_ratio', c.signals -> 'engagement_ratio') AS signals,
       c.enrich_inputs, c.enrich_state, c.persona, c.tribe, c.audience_pool, c.execution_label,
       p.platform, p.handle, p.display_name, p.bio, p.bio_url, p.location, p.is_verified,
       p.followers, p.following, p.posts, p.likes, p.bio_has_contact
FROM execution.lead_cards c JOIN social.raw_social_profiles p ON p.id = c.profile_id
ORDER BY c.id
