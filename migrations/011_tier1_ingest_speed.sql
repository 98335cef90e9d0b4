-- Ingest speed (issue 3): Tier 1 keeps `source_file_id` as provenance, without the foreign key
-- whose per-row check cost about as much as the merge's index upkeep; source files are never
-- deleted. The `updated_at` index only served ingest's own "rows loaded" count, which the merge
-- now collects from its RETURNING clause.
ALTER TABLE social.raw_social_profiles
    DROP CONSTRAINT IF EXISTS raw_social_profiles_source_file_id_fkey;
DROP INDEX IF EXISTS social.raw_social_profiles_updated_at;
