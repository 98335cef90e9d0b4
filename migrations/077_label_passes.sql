-- A ruleset switch relabels every card but writes only those whose labels change (issue 12).
-- A label pass under a ruleset version records when it finished: a card labeled under an
-- older version before that, whose profile has not changed since, was compared by the pass
-- and came out the same, so its labels are current under the new version as they are.
CREATE TABLE execution.label_passes (
    ruleset_version text PRIMARY KEY,
    completed_at    timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON execution.label_passes TO sxp_cards;
GRANT SELECT ON execution.label_passes TO sxp_api, sxp_enrich, sxp_export;
