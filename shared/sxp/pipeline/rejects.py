"""One inbox file's rejects by reason code, with a few examples each (the rejects file holds
rows with contacts already masked) and where the rejects file is (`sxp rejects`, the
console)."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from sxp.adapters.postgres import source_files
from sxp.bootstrap import App
from sxp.errors import InputError

EXAMPLES_PER_REASON = 3
EXAMPLE_CHARS = 200


def rejects_report(app: App, ref: str) -> dict[str, Any]:
    """`ref`: the file's id, inbox key or name (the newest of that name)."""
    with app.connect() as conn:
        found = source_files.find(conn, ref)
    if found is None:
        raise InputError(f"no inbox file {ref!r} (see `sxp files`)", "unknown_file")
    reasons: Counter[str] = Counter()
    examples: dict[str, list[dict[str, Any]]] = {}
    key = found["rejects_key"] if found["rows_rejected"] else None
    if key and app.store.head(key) is not None:
        with app.store.open_read(key) as stream:
            for line in stream:
                record = json.loads(line)
                code = record["reason_code"]
                reasons[code] += 1
                if len(examples.setdefault(code, [])) < EXAMPLES_PER_REASON:
                    examples[code].append({"line": record["line"],
                                           "detail": record.get("detail"),
                                           "raw": (record.get("raw") or "")[:EXAMPLE_CHARS]})
    return {"id": found["id"], "file": found["key"], "state": found["state"],
            "rows_read": found["rows_read"], "rows_rejected": found["rows_rejected"],
            "rejects": app.store.url(key) if key else None,
            "file_failure": ({"reason_code": found["reason_code"], "reason": found["reason"]}
                             if found["state"] == "failed" else None),
            "by_reason": [{"reason_code": code, "rows": n, "examples": examples[code]}
                          for code, n in reasons.most_common()]}
