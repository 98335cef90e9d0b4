-- A card whose record cannot be built as a valid Lead Card v1 (bad data upstream) is left out
-- of its batch with the reason here, instead of blocking every later export.
ALTER TABLE execution.lead_cards ADD COLUMN IF NOT EXISTS export_error text;
