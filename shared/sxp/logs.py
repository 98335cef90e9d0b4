"""Structured JSON logging with PII redaction applied before any handler sees a record.

Every log record passes `RedactPII`: values under PII field names are replaced, and e-mail
addresses and phone numbers are masked inside any string (message or extra field), with the
patterns of the one scrubber, `sxp.domain.scrub`.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import orjson

from sxp.domain.scrub import PII_KEYS, REDACTED
from sxp.domain.scrub import mask_contacts as scrub_text

__all__ = ["REDACTED", "JsonFormatter", "RedactPII", "configure_logging", "get_logger", "scrub",
           "scrub_text"]

_STD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {
    "message", "asctime"}


def scrub(value: Any, key: str | None = None) -> Any:
    """Return `value` with PII removed: PII-named keys blanked, free text masked."""
    if key is not None and key.lower() in PII_KEYS:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


class RedactPII(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        record.msg = scrub_text(msg)
        record.args = None
        for attr, value in list(vars(record).items()):
            if attr not in _STD_ATTRS:
                setattr(record, attr, scrub(value, attr))
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrub_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "level": record.levelname,
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for attr, value in vars(record).items():
            if attr not in _STD_ATTRS and not attr.startswith("_"):
                event[attr] = value
        if record.exc_text:
            event["exception"] = record.exc_text
        return orjson.dumps(event, default=str).decode()


LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILES_KEPT = 5


def configure_logging(level: str = "INFO", stream: Any = None, *, file: Path | None = None,
                      stderr: bool = True) -> None:
    """Install the JSON handlers with redaction on the `sxp` logger tree (idempotent): to
    `stream` when given; else to `file` (rotated) and/or stderr."""
    root = logging.getLogger("sxp")
    root.setLevel(level.upper())
    root.propagate = False
    for handler in list(root.handlers):
        if getattr(handler, "_sxp", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = []
    if stream is not None:
        handlers.append(logging.StreamHandler(stream))
    else:
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(RotatingFileHandler(file, maxBytes=LOG_FILE_BYTES,
                                                backupCount=LOG_FILES_KEPT, encoding="utf-8"))
        if stderr or file is None:
            handlers.append(logging.StreamHandler(sys.stderr))
    for handler in handlers:
        handler.addFilter(RedactPII())
        handler.setFormatter(JsonFormatter())
        handler._sxp = True  # type: ignore[attr-defined]
        root.addHandler(handler)


def get_logger(name: str) -> logging.Logger:
    return logging.getLogger(name if name.startswith("sxp") else f"sxp.{name}")
