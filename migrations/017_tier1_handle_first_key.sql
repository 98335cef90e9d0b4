-- Ingest speed (issue 3): Tier 1's unique key leads with the handle. With the platform first
-- (three values) nearly every comparison in the index had to go on to the second column, which
-- btree reads the slow way after a variable-length first one; handles almost always differ in
-- the first column. Queries match both columns ("C" collation), so either order serves them.
CREATE UNIQUE INDEX raw_social_profiles_handle_platform_c
    ON social.raw_social_profiles (handle COLLATE "C", platform COLLATE "C");
DROP INDEX IF EXISTS social.raw_social_profiles_platform_handle_c;
