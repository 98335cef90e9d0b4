-- The gate's reads and decisions (execution.lead_cards), set-based and by index.
-- `{current}` is the cards whose labels are current under the ruleset version (labeled under
-- it, or compared by its recorded label pass); `{reason}` is the SQL twin of
-- `sxp.domain.gate.ineligible_reason` for the pass's provider chain (NULL: eligible).

-- name: decide_fresh
-- Fresh cards (never decided: new, relabeled, reopened; read by `lead_cards_gate_fresh`) get
-- their fate in one statement: ineligible with the reason, or eligible and waiting for the
-- budget. Locked in id order, as the label step locks. The reasons counted.
WITH decided AS (
    SELECT id, {reason} AS reason FROM execution.lead_cards
    WHERE enrich_state = 'new' AND enrich_reason IS NULL AND {current}
    ORDER BY id FOR UPDATE
), written AS (
    UPDATE execution.lead_cards c
    SET enrich_state = CASE WHEN d.reason IS NULL THEN 'new' ELSE 'ineligible' END,
        enrich_reason = coalesce(d.reason, 'budget_exhausted'), updated_at = now()
    FROM decided d WHERE c.id = d.id
)
SELECT reason, count(*) AS cards FROM decided WHERE reason IS NOT NULL GROUP BY reason

-- name: decide_all
-- The same for every card waiting for the gate (the basis of the last pass changed). A card
-- left waiting whose labels are not current under this basis is fresh again (decided once
-- they are): every card waiting for budget was judged under the recorded basis.
WITH decided AS (
    SELECT id, CASE WHEN {current} THEN {reason} END AS reason, {current} AS current,
           enrich_reason FROM execution.lead_cards
    WHERE enrich_state = 'new'
    ORDER BY id FOR UPDATE
), written AS (
    UPDATE execution.lead_cards c
    SET enrich_state = CASE WHEN d.reason IS NULL THEN 'new' ELSE 'ineligible' END,
        enrich_reason = CASE WHEN d.current THEN coalesce(d.reason, 'budget_exhausted') END,
        updated_at = now()
    FROM decided d
    WHERE c.id = d.id
      AND (d.reason IS NOT NULL
           OR d.enrich_reason IS DISTINCT FROM
              CASE WHEN d.current THEN 'budget_exhausted' END)
)
SELECT reason, count(*) AS cards FROM decided WHERE reason IS NOT NULL GROUP BY reason

-- name: count_reasons
-- What `decide_all` would decide, written nowhere (a dry run).
SELECT reason, count(*) AS cards
FROM (SELECT {reason} AS reason FROM execution.lead_cards
      WHERE enrich_state = 'new' AND {current}) d
WHERE reason IS NOT NULL GROUP BY reason

-- name: eligible_of_label
-- Eligible cards of one label waiting for budget, best first (`lead_cards_gate_order`): the
-- gate reads this until its budget ends (the reason checked again: a card is never bought
-- against the rules).
SELECT id, execution_label, readiness_score, base_confidence, enrich_inputs
FROM execution.lead_cards
WHERE enrich_state = 'new' AND enrich_reason = 'budget_exhausted'
  AND execution_label = %(label)s AND {current} AND {reason} IS NULL
ORDER BY base_confidence DESC, readiness_score DESC, id

-- name: count_eligible
-- The cards waiting for budget, from `lead_cards_gate_order` alone: the decisions hold (the
-- basis is unchanged, and a card whose labels, scores or inputs change is fresh again).
SELECT count(*) AS cards FROM execution.lead_cards
WHERE enrich_state = 'new' AND enrich_reason = 'budget_exhausted'
  AND execution_label = ANY(%(labels)s::text[])

-- name: judged_eligible_of_label
-- A dry run's view: every card waiting for the gate (fresh or not) of one label that would be
-- eligible now, best first; written nowhere.
SELECT id, execution_label, readiness_score, base_confidence, enrich_inputs
FROM execution.lead_cards
WHERE enrich_state = 'new' AND execution_label = %(label)s AND {current} AND {reason} IS NULL
ORDER BY base_confidence DESC, readiness_score DESC, id

-- name: count_judged_eligible
SELECT count(*) AS cards FROM execution.lead_cards
WHERE enrich_state = 'new' AND execution_label = ANY(%(labels)s::text[]) AND {current}
  AND {reason} IS NULL

-- name: has_fresh
-- Labeled cards no gate pass has decided yet (`lead_cards_gate_fresh`).
SELECT EXISTS (SELECT 1 FROM execution.lead_cards
               WHERE enrich_state = 'new' AND enrich_reason IS NULL
                 AND labeled_at IS NOT NULL) AS fresh

-- name: has_waiting
-- Cards judged eligible and left waiting for budget (`lead_cards_gate_order`).
SELECT EXISTS (SELECT 1 FROM execution.lead_cards
               WHERE enrich_state = 'new' AND enrich_reason = 'budget_exhausted') AS waiting

-- name: basis
SELECT basis FROM execution.gate_basis

-- name: record_basis
INSERT INTO execution.gate_basis (basis) VALUES (%(basis)s)
ON CONFLICT (only_row) DO UPDATE SET basis = EXCLUDED.basis, decided_at = now()

-- name: adopt_basis
INSERT INTO execution.gate_basis (basis) VALUES (%(basis)s) ON CONFLICT (only_row) DO NOTHING
