-- Ingest speed (issue 3): Tier 1's (platform, handle) key compares bytes. Handles are normalized
-- lower-case ASCII ([a-z0-9_.]) and platforms are fixed ASCII words, so byte order and equality
-- are those of any deterministic collation; the "C" index spares the merge's per-row probe and
-- insert the locale's strcoll. The merge names the collation explicitly so it uses this index.
CREATE UNIQUE INDEX raw_social_profiles_platform_handle_c
    ON social.raw_social_profiles (platform COLLATE "C", handle COLLATE "C");
ALTER TABLE social.raw_social_profiles
    DROP CONSTRAINT IF EXISTS raw_social_profiles_platform_handle_key;
