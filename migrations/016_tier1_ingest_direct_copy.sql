-- Ingest speed (issue 3): rows of keys new to Tier 1 are COPYed straight into it. The
-- source_file_id index only served ingest's own "rows loaded" count, which ingest now keeps as
-- it writes; its upkeep cost a seventh of the COPY. Ids come from a sequence cached per session
-- (gaps are harmless for a surrogate key), so a bulk COPY does not lock the sequence per row.
DROP INDEX IF EXISTS social.raw_social_profiles_source_file;
ALTER SEQUENCE social.raw_social_profiles_id_seq CACHE 1000;
