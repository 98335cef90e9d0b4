"""Consumer settings, names and filters, and which webhook targets are refused."""

from __future__ import annotations

import pytest

from sxp.domain.consumers import address_refused, check_labels, check_name, check_settings


def test_settings_per_transport_are_checked_and_filled_in() -> None:
    assert check_settings("queue", {}) == {"stream": "sxp:batches", "maxlen": 100_000}
    assert check_settings("webhook", {"url": "https://crm.example/h"}) == {
        "url": "https://crm.example/h", "timeout_s": 10.0}
    assert check_settings("file", {}) == {} and check_settings("api", {}) == {}
    for transport, settings, message in (
            ("webhook", {}, "url: Field required"),
            ("webhook", {"url": "ftp://x"}, "must be an http"),
            ("queue", {"stream": "bad key!"}, "stream"),
            ("file", {"url": "https://x"}, "Extra inputs"),
            ("carrier-pigeon", {}, "unknown transport")):
        with pytest.raises(ValueError, match=message):
            check_settings(transport, settings)


def test_names_and_filters() -> None:
    assert check_name("crm-1") == "crm-1"
    for bad in ("", "CRM", "-x", "a" * 64, "x/y"):
        with pytest.raises(ValueError):
            check_name(bad)
    assert check_labels(None) is None
    assert check_labels([" enrich_now", "hold", "enrich_now"]) == ("enrich_now", "hold")
    with pytest.raises(ValueError):
        check_labels([" "])


@pytest.mark.parametrize(("address", "refused"), [
    ("127.0.0.1", "a loopback address"), ("::1", "a loopback address"),
    ("169.254.169.254", "a link-local address"), ("10.0.0.5", "a private or reserved address"),
    ("192.168.1.1", "a private or reserved address"), ("0.0.0.0", "a private or reserved address"),
    ("fd00::1", "a private or reserved address"), ("93.184.216.34", None),
])
def test_webhook_addresses(address: str, refused: str | None) -> None:
    assert address_refused(address, allow_private=False) == refused
    assert address_refused(address, allow_private=True) is None
