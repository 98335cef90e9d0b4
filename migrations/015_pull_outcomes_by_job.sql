-- Pull jobs record each handle's outcome once, so a rerun after a crash neither loses nor
-- doubles outcomes (and does not call the platform API again once they are recorded).
ALTER TABLE social.pull_outcomes ADD COLUMN job_id bigint;
CREATE UNIQUE INDEX pull_outcomes_job_handle ON social.pull_outcomes (job_id, platform, handle)
    WHERE job_id IS NOT NULL;
