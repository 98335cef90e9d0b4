"""Put local files into the inbox for the next scan.

Keys: `inbox/[platform=<p>/][format=<f>/]<yyyy-mm-dd>/<filename>`. The optional segments are the
per-import overrides; the scan reads them back into `social.source_files.platform_hint` /
`format_hint` (they work the same on Spaces and the local folder, which has no object metadata).
Importing the same file twice on one day gives the same key and ETag, so nothing is redone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sxp.adapters.sources.streams import FORMATS
from sxp.bootstrap import App
from sxp.domain.normalize import PLATFORMS
from sxp.errors import InputError


def inbox_key(inbox_prefix: str, filename: str, platform: str | None = None,
              fmt: str | None = None, day: datetime | None = None) -> str:
    if platform is not None and platform not in PLATFORMS:
        raise InputError(f"unknown platform {platform!r}", "unknown_platform")
    if fmt is not None and fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}", "unknown_format")
    parts = [inbox_prefix.rstrip("/")]
    if platform:
        parts.append(f"platform={platform}")
    if fmt:
        parts.append(f"format={fmt}")
    parts.append((day or datetime.now(UTC)).strftime("%Y-%m-%d"))
    parts.append(filename)
    return "/".join(parts)


def import_paths(app: App, paths: list[Path], platform: str | None = None,
                 fmt: str | None = None) -> list[str]:
    """Upload each local file (or every file of a folder) into the inbox; returns the keys."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"no such file: {path}", "file_not_found")
    keys = []
    for path in files:
        key = inbox_key(app.settings.inbox_prefix, path.name, platform, fmt)
        app.store.put_file(key, path)
        keys.append(key)
    return keys
