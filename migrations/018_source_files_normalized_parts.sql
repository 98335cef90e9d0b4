-- Ingest (issue 3): a file's staged normalized rows are published in parts while it is read
-- (stage/<run>/normalized/part-NNNNN.jsonl), so a source file records the parts' prefix and
-- how many there are rather than the key of one object.
ALTER TABLE social.source_files RENAME COLUMN normalized_key TO normalized_prefix;
ALTER TABLE social.source_files ADD COLUMN normalized_parts integer NOT NULL DEFAULT 0;
UPDATE social.source_files SET normalized_parts = 1,
       normalized_prefix = left(normalized_prefix, length(normalized_prefix) - length('part-00000.jsonl'))
 WHERE normalized_prefix LIKE '%/normalized/part-00000.jsonl';
