-- A new rules file relabels every card, but a card whose labels come out the same is no new
-- version: its ruleset version alone does not make consumers receive the whole pool again
-- (the record carries the new ruleset version with the card's next real change).
CREATE OR REPLACE FUNCTION execution.card_handoff() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.labeled_at IS NULL OR NEW.export_error IS NOT NULL
       OR NEW.enrich_state NOT IN ('enriched', 'not_found', 'ineligible') THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.handoff_seq IS NOT NULL AND OLD.labeled_at IS NOT NULL
       AND OLD.export_error IS NULL
       AND OLD.enrich_state IN ('enriched', 'not_found', 'ineligible')
       AND (NEW.profile_hash, NEW.readiness, NEW.readiness_score, NEW.base_confidence,
            NEW.persona, NEW.tribe, NEW.audience_pool, NEW.execution_label,
            NEW.rules_fired, NEW.enrich_state, NEW.enrich_reason,
            NEW.enrichment_batch_id, NEW.enriched_at, NEW.dnc)
           IS NOT DISTINCT FROM
           (OLD.profile_hash, OLD.readiness, OLD.readiness_score, OLD.base_confidence,
            OLD.persona, OLD.tribe, OLD.audience_pool, OLD.execution_label,
            OLD.rules_fired, OLD.enrich_state, OLD.enrich_reason,
            OLD.enrichment_batch_id, OLD.enriched_at, OLD.dnc) THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(1398294611);  -- 'SXHS': the handoff lock
    NEW.version := CASE WHEN TG_OP = 'UPDATE' THEN OLD.version + 1 ELSE 1 END;
    NEW.handoff_seq := nextval('execution.card_handoff_seq');
    RETURN NEW;
END $$;
