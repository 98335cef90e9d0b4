-- A batch's cards carry versions from 1, as `versions.jsonl` promises (`CardVersion`: version
-- >= 1, supersedes_version >= 1 or none). The export now writes those lines straight from the
-- rows instead of validating a model per card (issue 14), so the table holds the rule.
ALTER TABLE execution.batch_cards
    ADD CONSTRAINT batch_cards_versions_check
    CHECK (version >= 1 AND (supersedes_version IS NULL OR supersedes_version >= 1));
