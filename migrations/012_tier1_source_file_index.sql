-- Ingest counts the rows a file inserted or rewrote as those carrying its source_file_id (the
-- merge sets it exactly when it sets updated_at = now()); the index also answers "which
-- profiles came from this file". Its keys arrive in order, so upkeep is an append.
CREATE INDEX raw_social_profiles_source_file ON social.raw_social_profiles (source_file_id);
