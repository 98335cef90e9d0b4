from __future__ import annotations

import pybreaker
import pytest

from sxp.adapters.postgres.breaker import PostgresBreakerStorage
from sxp.adapters.providers.base import LookupRequest
from sxp.adapters.providers.resilience import build_breaker
from sxp.bootstrap import App
from sxp.errors import ConfigError


def test_embedded_default_starts_the_sandbox_and_reuses_the_adapter(app: App) -> None:
    assert app.settings.skiptrace_base_url is None
    provider = app.provider("skiptrace")
    assert app.provider("skiptrace") is provider
    response = provider.lookup(
        [
            LookupRequest(
                card_id=1, first_name="Rowan", last_name="Demoson", city="Austin", state="TX"
            )
        ]
    )
    assert response.status_code == 200
    apollo = app.provider("apollo")
    assert (
        apollo.lookup(
            [
                LookupRequest(
                    card_id=2, first_name="Rowan", last_name="Demoson", domain="demo.example"
                )
            ]
        ).status_code
        == 200
    )
    with pytest.raises(ConfigError):
        app.provider("nope")


def _boom() -> None:
    raise RuntimeError("provider down")


def test_breaker_state_is_shared_through_postgres(app: App) -> None:
    storages = [PostgresBreakerStorage("shared-test", app.connect) for _ in range(2)]
    one, other = (build_breaker("shared-test", fail_max=2, reset_timeout_s=60, storage=s)
                  for s in storages)
    with pytest.raises(RuntimeError):
        one.call(_boom)
    assert other.fail_counter == 1
    with pytest.raises(pybreaker.CircuitBreakerError):
        one.call(_boom)
    assert other.current_state == "open"  # a second instance (another worker) sees it open
    with pytest.raises(pybreaker.CircuitBreakerError):
        other.call(lambda: None)
    with app.connect() as conn:
        row = conn.execute(
            "SELECT state, opened_at FROM execution.provider_breakers WHERE name = 'shared-test'"
        ).fetchone()
    assert row["state"] == "open" and row["opened_at"] is not None
    one.close()  # closes the circuit (pybreaker's word), not the storage
    other.close()
    assert one.current_state == "closed"
    for storage in storages:
        storage.close()
