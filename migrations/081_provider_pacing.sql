-- One send schedule per provider across every process (issue 14): each call reserves the
-- next slot, `interval` after the previous one, so worker instances and functions together
-- stay under the plan's rate instead of each keeping its own.
CREATE TABLE contact.provider_pacing (
    provider   text PRIMARY KEY,
    next_slot  timestamptz NOT NULL
);
GRANT SELECT, INSERT, UPDATE ON contact.provider_pacing TO sxp_enrich;
