-- The cards and label steps of a file read the profiles that file changed (`source_file_id`),
-- so that 10,000 profiles dropped on a million-profile pool cost what they bring (issue 14).
-- Without an index that read was a scan of the whole of Tier 1 (a tenth of a second per
-- million profiles, per step and file). 016 dropped this index for the ingest's sake; a file's
-- rows all carry its id and come in order, so its upkeep is an append to one leaf (entries
-- deduplicated). A BRIN index would cost less still, but the rows of a new file land wherever
-- a vacuumed pool has room, which leaves it scanning most of the table.
CREATE INDEX IF NOT EXISTS raw_social_profiles_source_file
    ON social.raw_social_profiles (source_file_id);
