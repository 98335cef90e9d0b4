-- Provider error budget: outcomes of provider HTTP exchanges per provider and minute.
-- An adapter pauses when its success ratio over the last hour falls below its budget.
CREATE TABLE IF NOT EXISTS execution.provider_health (
    provider  text NOT NULL,
    minute    timestamptz NOT NULL,
    ok        integer NOT NULL DEFAULT 0,
    failed    integer NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, minute)
);

GRANT SELECT, INSERT, UPDATE ON execution.provider_health TO sxp_enrich;
GRANT SELECT ON execution.provider_health TO sxp_api;
