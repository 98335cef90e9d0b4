-- The worker's periodic tasks (scan, export, retention: the App Platform shape's scheduler,
-- issue 16). Each task's time is cut into slots of its period; whichever worker instance
-- inserts a slot's row first runs it, so autoscaled or redeployed instances never run a slot
-- twice, and a slot missed while every instance was down is not made up (the next one is).
CREATE TABLE queue.periodic_slots (
    task        text        NOT NULL,
    slot_start  timestamptz NOT NULL,
    claimed_by  text        NOT NULL,
    claimed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task, slot_start)
);
GRANT SELECT, INSERT, DELETE ON queue.periodic_slots TO sxp_ingest, sxp_export;
GRANT SELECT ON queue.periodic_slots TO sxp_api;
