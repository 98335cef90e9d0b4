-- The audit log's hash chain, recomputed row by row in id order; after a retention prune the
-- first kept row names the anchor (the chain hash of the last pruned row).

-- name: verify_chain
WITH checked AS MATERIALIZED (
    SELECT id,
           prev_checksum IS DISTINCT FROM coalesce(lag(chain_hash) OVER (ORDER BY id),
               (SELECT a.prev_checksum FROM audit.anchors a ORDER BY a.id DESC LIMIT 1), '')
             AS bad_link,
           chain_hash IS DISTINCT FROM audit.row_hash(prev_checksum, event_type, actor,
               service, batch_id, schema_version, outcome, occurred_at, checksum, details,
               chain_version) AS bad_hash
    FROM audit.audit_log)
SELECT (SELECT count(*) FROM checked) AS rows, first.id AS first_bad,
       CASE WHEN first.bad_link THEN 'its prev_checksum is not the chain hash of the row before'
            WHEN first.bad_hash THEN 'its chain hash does not match its content' END AS reason
FROM (SELECT 1) one
LEFT JOIN (SELECT id, bad_link, bad_hash FROM checked WHERE bad_link OR bad_hash
           ORDER BY id LIMIT 1) first ON true
