-- A row without a scrape time is stamped with the time sxp received it, but that is not a
-- scrape time: such a row never outranks one whose scrape time is known (issue 12), and its
-- receipt does not move first_seen / last_seen of a profile already known.
ALTER TABLE social.raw_social_profiles
    ADD COLUMN scraped_at_known boolean NOT NULL DEFAULT true;
