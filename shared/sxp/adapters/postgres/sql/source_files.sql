-- Inbox objects registered as source files (social.source_files).

-- name: register
INSERT INTO social.source_files (bucket, key, etag, size_bytes, platform_hint, format_hint)
VALUES (%(bucket)s, %(key)s, %(etag)s, %(size)s, %(platform)s, %(format)s)
ON CONFLICT (bucket, key, etag) DO NOTHING
RETURNING id

-- name: load
SELECT id, bucket, key, etag, size_bytes, state, platform_hint, format_hint, registered_at
FROM social.source_files WHERE id = %(id)s

-- name: lock_state
SELECT state FROM social.source_files WHERE id = %(id)s FOR UPDATE

-- name: mark_ingesting
UPDATE social.source_files SET state = 'ingesting' WHERE id = %(id)s

-- name: mark_ingested
UPDATE social.source_files
SET state = 'ingested', reason_code = NULL, reason = NULL,
    format_hint = coalesce(format_hint, %(format)s), rows_read = %(read)s,
    rows_loaded = %(loaded)s, rows_unchanged = %(unchanged)s, rows_deduped = %(deduped)s,
    rows_rejected = %(rejected)s, rows_stale = %(stale)s, rows_suppressed = %(suppressed)s,
    normalized_prefix = %(normalized_prefix)s,
    normalized_parts = %(normalized_parts)s, rejects_key = %(rejects_key)s, finished_at = now()
WHERE id = %(id)s

-- name: mark_failed
UPDATE social.source_files
SET state = 'failed', reason_code = %(reason_code)s, reason = %(reason)s, rows_read = 0,
    rows_loaded = 0, rows_unchanged = 0, rows_deduped = 0, rows_rejected = 0, rows_stale = 0,
    finished_at = now()
WHERE id = %(id)s

-- name: failed
SELECT id, key, reason_code, reason FROM social.source_files WHERE state = 'failed' ORDER BY id

-- name: mark_duplicate
UPDATE social.source_files
SET state = 'duplicate', reason_code = 'duplicate_content', reason = %(reason)s, rows_read = 0,
    rows_loaded = 0, rows_unchanged = 0, rows_deduped = 0, rows_rejected = 0, rows_stale = 0,
    finished_at = now()
WHERE id = %(id)s
