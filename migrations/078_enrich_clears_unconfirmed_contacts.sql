-- A card looked up again whose new answer finds no one keeps no contact from the old answer:
-- Tier 2 holds what the latest lookup confirmed (issue 12).
GRANT DELETE ON contact.contacts, contact.businesses TO sxp_enrich;
