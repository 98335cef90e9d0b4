"""Consumers: the execution platforms sxp hands batches to, and what each one receives.

A consumer has a name, a transport (`file`, `api`, `webhook`, `queue`) with its settings, and a
filter: the execution labels it takes (by default every label but `hold`) and the audience
pools (by default all), and whether Tier 2 contact fields go into its records.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sxp.domain.bundle import describe_validation_error

Transport = Literal["file", "api", "webhook", "queue"]
TRANSPORTS: tuple[str, ...] = ("file", "api", "webhook", "queue")
DEFAULT_EXCLUDED_LABEL = "hold"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_STREAM = re.compile(r"^[A-Za-z0-9:_.-]{1,200}$")


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSettings(_Settings):
    """Bundles and the consumer's index under `exports/<env>/<consumer>/`."""


class ApiSettings(_Settings):
    """The consumer lists, fetches and acknowledges its batches with its own API key."""


class WebhookSettings(_Settings):
    url: str = Field(description="https:// (or http:// where the environment allows it)")
    timeout_s: float = Field(10.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s?#]+(?:[/?#]\S*)?$", value):
            raise ValueError("must be an http(s) URL")
        return value


class QueueSettings(_Settings):
    stream: str = Field("sxp:batches", description="the Valkey/Redis stream key")
    maxlen: int = Field(100_000, ge=10, description="XADD MAXLEN ~ trimming")

    @field_validator("stream")
    @classmethod
    def _stream_key(cls, value: str) -> str:
        if not _STREAM.match(value):
            raise ValueError("1-200 of letters, digits, ':', '_', '.', '-'")
        return value


SETTINGS_OF: dict[str, type[_Settings]] = {
    "file": FileSettings, "api": ApiSettings, "webhook": WebhookSettings,
    "queue": QueueSettings}


class ConsumerFilter(BaseModel):
    """Which cards a consumer receives."""

    model_config = ConfigDict(frozen=True)

    execution_labels: tuple[str, ...] | None = None  # None: every label but `hold`
    audience_pools: tuple[str, ...] | None = None    # None: every pool


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError("a consumer name is 1-63 of a-z, 0-9, '_', '-', starting with a letter"
                         " or digit")
    return name


def check_settings(transport: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The transport's settings, validated, with defaults filled in."""
    model = SETTINGS_OF.get(transport)
    if model is None:
        raise ValueError(f"unknown transport {transport!r} (known: {', '.join(TRANSPORTS)})")
    try:
        return model.model_validate(settings).model_dump()
    except ValidationError as exc:
        raise ValueError(f"{transport} settings: {describe_validation_error(exc)}") from None


def check_labels(values: Sequence[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    cleaned = tuple(sorted({v.strip() for v in values if v.strip()}))
    if not cleaned:
        raise ValueError("a filter needs at least one value (leave it out to take all)")
    return cleaned


def address_refused(address: str, *, allow_private: bool) -> str | None:
    """Why a webhook may not target this IP address, or None when it may."""
    ip = ipaddress.ip_address(address)
    if allow_private:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return "a private or reserved address"
    return None
