"""Local provider emulators on loopback: `start_sandbox("skiptrace" | "apollo", ...)`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sxp.config import SANDBOX_KEYS
from sxp.sandbox.server import FAULTS, Fault, SandboxServer

__all__ = ["FAULTS", "Fault", "SandboxServer", "start_sandbox"]


def start_sandbox(
    kind: str,
    *,
    port: int = 0,
    latency_s: float = 0.0,
    rate_per_s: float | None = None,
    fault_plan: Iterable[Fault | str] | None = None,
    overrides: dict[tuple[str, str], dict[str, Any]] | None = None,
    api_key: str | None = None,
    match_rate: float | None = None,
    minute_limit: int | None = None,
    minute_window_s: float = 60.0,
) -> SandboxServer:
    """Start an emulator in a background thread on 127.0.0.1; close it with `.close()`."""
    options: dict[str, Any] = {
        "port": port,
        "latency_s": latency_s,
        "rate_per_s": rate_per_s,
        "fault_plan": fault_plan,
        "overrides": overrides,
        "api_key": api_key or SANDBOX_KEYS.get(kind, ""),
    }
    if match_rate is not None:
        options["match_rate"] = match_rate
    if minute_limit is not None:  # Apollo's per-minute quota
        options.update(minute_limit=minute_limit, minute_window_s=minute_window_s)
    if kind == "skiptrace":
        from sxp.sandbox import skiptrace

        return skiptrace.build(**options)
    if kind == "apollo":
        from sxp.sandbox import apollo

        return apollo.build(**options)
    raise ValueError(f"unknown sandbox kind: {kind}")
