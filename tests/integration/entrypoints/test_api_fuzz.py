"""Schemathesis against the served OpenAPI document, with a key holding every scope: no
server error and no response outside the documented statuses, headers and schemas. Bounded
in examples per operation so it stays a few seconds. (The operations are driven through
hypothesis directly: schemathesis' pytest plugin does not load on this pytest.)"""

from __future__ import annotations

import os
from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from sxp.bootstrap import App

EXAMPLES = int(os.environ.get("SXP_API_FUZZ_EXAMPLES", "25"))
# Left out: "a schema-valid request is accepted". Some valid-looking values are refused by
# design with a documented 400 problem: an opaque page token this API did not give, say.
EXCLUDED = [positive_data_acceptance]


def test_api_answers_every_generated_request_as_documented(
        base_url: str, token: Callable[..., str], api_app: App) -> None:
    api_app.settings.api_rate_per_s = 10_000.0  # the fuzz is not a test of the rate limit
    headers = {"Authorization": f"Bearer {token('admin')}"}
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        call()
