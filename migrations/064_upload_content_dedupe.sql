-- Uploads that bypass sxp (presigned PUTs, the API's own upload links, files dropped into the
-- inbox) are hashed by the ingest that reads them: a planned upload's import row waits with
-- no sha256 until then, and a file whose content an earlier import already brought is a
-- duplicate of it (nothing of it is written; the second copy is removed from the inbox).
ALTER TABLE social.imports ALTER COLUMN sha256 DROP NOT NULL;
ALTER TABLE social.imports ADD COLUMN duplicate_of bigint REFERENCES social.imports (id);
ALTER TABLE social.imports ADD COLUMN settled_at timestamptz;  -- hashed (at upload or ingest)
UPDATE social.imports SET settled_at = created_at;
ALTER TABLE social.imports ADD CONSTRAINT imports_settled_has_sha256
    CHECK (settled_at IS NULL OR sha256 IS NOT NULL OR duplicate_of IS NOT NULL);
GRANT UPDATE (sha256, size_bytes, duplicate_of, settled_at) ON social.imports TO sxp_ingest;

ALTER TABLE social.source_files DROP CONSTRAINT source_files_state_check;
ALTER TABLE social.source_files ADD CONSTRAINT source_files_state_check
    CHECK (state IN ('pending', 'ingesting', 'ingested', 'failed', 'duplicate'));
