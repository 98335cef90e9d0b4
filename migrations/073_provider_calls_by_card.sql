-- Erasure finds the stored provider answers that name a card without scanning them all.
CREATE INDEX provider_calls_card_ids ON contact.provider_calls USING gin (card_ids);
