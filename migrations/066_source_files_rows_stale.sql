-- Rows of a file that Tier 1 already held in a higher ranked version (a newer or a known scrape
-- time): counted, so that a file whose rows all lost says why nothing was loaded.
ALTER TABLE social.source_files ADD COLUMN rows_stale bigint NOT NULL DEFAULT 0;
