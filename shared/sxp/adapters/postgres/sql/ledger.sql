-- The credit ledger (execution.credit_ledger): reserve, spend and release rows per batch and
-- provider, each at most once; a budget day is a UTC day.

-- name: lock_budget
SELECT pg_advisory_xact_lock(hashtextextended('sxp:gate:credit-budget', 0))

-- name: today
SELECT coalesce(sum(credits) FILTER (WHERE entry = 'reserve'), 0) AS reserved,
       coalesce(sum(credits) FILTER (WHERE entry = 'release'), 0) AS released
FROM execution.credit_ledger
WHERE budget_day = current_date
  AND (%(provider)s::text IS NULL OR provider = %(provider)s::text)

-- name: today_by_provider
SELECT provider, entry, coalesce(sum(credits), 0) AS credits
FROM execution.credit_ledger WHERE budget_day = current_date
GROUP BY provider, entry ORDER BY provider

-- name: reserve
INSERT INTO execution.credit_ledger (provider, batch_id, entry, credits)
SELECT p, %(batch_id)s, 'reserve', c FROM unnest(%(providers)s::text[], %(credits)s::int[]) AS r(p, c)

-- name: reservations
SELECT provider, credits, budget_day FROM execution.credit_ledger
WHERE batch_id = %(batch_id)s AND entry = 'reserve' ORDER BY provider

-- name: settle_entry
INSERT INTO execution.credit_ledger (provider, batch_id, entry, credits, budget_day)
VALUES (%(provider)s, %(batch_id)s, %(entry)s, %(credits)s, %(budget_day)s)
ON CONFLICT (batch_id, provider, entry) DO NOTHING

-- name: totals_by_entry
SELECT entry AS k, coalesce(sum(credits), 0) AS n FROM execution.credit_ledger GROUP BY 1
