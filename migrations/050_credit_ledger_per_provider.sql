-- Budgets per provider: a batch of a waterfall ("skiptrace,apollo") reserves, spends and
-- releases once per provider, so the ledger's key becomes (batch_id, provider, entry).
ALTER TABLE execution.credit_ledger DROP CONSTRAINT IF EXISTS credit_ledger_batch_id_entry_key;
CREATE UNIQUE INDEX IF NOT EXISTS credit_ledger_batch_provider_entry
    ON execution.credit_ledger (batch_id, provider, entry);
