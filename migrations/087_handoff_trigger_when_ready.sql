-- The handoff trigger is called only for a card that is ready to hand off: its function's
-- first test (labeled, no export error, enrichment settled) moves into the trigger's WHEN
-- clause, which the executor evaluates without calling PL/pgSQL. A card built waiting for
-- the gate or for budget (a third of a million per million profiles) no longer pays a
-- function call for nothing (issue 14); what the function does for the others is unchanged.
DROP TRIGGER lead_cards_handoff ON execution.lead_cards;
CREATE TRIGGER lead_cards_handoff
    BEFORE INSERT OR UPDATE OF profile_hash, readiness, readiness_score, base_confidence,
        persona, tribe, audience_pool, execution_label, ruleset_version, rules_fired,
        labeled_at, enrich_state, enrich_reason, enrichment_batch_id, enriched_at, dnc,
        export_error
    ON execution.lead_cards FOR EACH ROW
    WHEN (NEW.labeled_at IS NOT NULL AND NEW.export_error IS NULL
          AND NEW.enrich_state IN ('enriched', 'not_found', 'ineligible'))
    EXECUTE FUNCTION execution.card_handoff();
