-- Counts for `sxp status` and the API's status route. Grouped queries return (k, n) rows.

-- name: tier_counts
SELECT (SELECT count(*) FROM social.raw_social_profiles) AS tier1_profiles,
       (SELECT count(*) FROM execution.lead_cards) AS tier3_lead_cards,
       (SELECT count(*) FROM execution.lead_cards WHERE labeled_at IS NOT NULL) AS labeled_cards,
       (SELECT count(DISTINCT bc.card_id) FROM execution.batch_cards bc
        JOIN execution.export_batches b ON b.id = bc.batch_id
        WHERE bc.action = 'record' AND b.state = 'published') AS exported_cards,
       (SELECT count(*) FROM contact.contacts) AS tier2_contacts,
       (SELECT count(*) FROM contact.businesses) AS tier2_businesses,
       (SELECT count(*) FROM audit.audit_log) AS audit_rows

-- name: ingest_totals
SELECT coalesce(sum(rows_read), 0) AS rows_read, coalesce(sum(rows_loaded), 0) AS loaded,
       coalesce(sum(rows_unchanged), 0) AS unchanged, coalesce(sum(rows_deduped), 0) AS deduped,
       coalesce(sum(rows_rejected), 0) AS rejected, coalesce(sum(rows_stale), 0) AS stale,
       coalesce(sum(rows_suppressed), 0) AS suppressed
FROM social.source_files

-- name: source_files
SELECT state AS k, count(*) AS n FROM social.source_files GROUP BY 1

-- name: cards_by_execution_label
SELECT coalesce(execution_label, 'unlabeled') AS k, count(*) AS n
FROM execution.lead_cards GROUP BY 1

-- name: cards_by_enrich_state
SELECT enrich_state AS k, count(*) AS n FROM execution.lead_cards GROUP BY 1

-- name: enrichment_batches
SELECT state AS k, count(*) AS n FROM execution.enrichment_batches GROUP BY 1

-- name: export_batches
SELECT state AS k, count(*) AS n FROM execution.export_batches GROUP BY 1

-- name: audit_events
SELECT event_type AS k, count(*) AS n FROM audit.audit_log GROUP BY 1
