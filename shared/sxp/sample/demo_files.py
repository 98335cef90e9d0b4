"""Write the shipped demo sample (`sxp/sample/demo/`): one file per platform, mixed formats.

`python -m sxp.sample.demo_files` regenerates it byte for byte (fixed seeds, fixed gzip mtime).
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Any

import orjson

from sxp.sample.generate import generate_profiles

DEMO_DIR = Path(__file__).parent / "demo"
MALFORMED_LINES = [b'{"username": "cut.off", "bio_description": "trunc', b"not json at all",
                   b"[1, 2, 3]"]


def write_demo_files(folder: Path = DEMO_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    tiktok = list(generate_profiles(1000, seed=11, bad_rate=0.01, platforms=["tiktok"]))
    lines = [orjson.dumps(row) for row in tiktok]
    for offset, bad in enumerate(MALFORMED_LINES):
        lines.insert(100 + 250 * offset, bad)
    (folder / "tiktok_research_users.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    threads = list(generate_profiles(800, seed=12, platforms=["threads"], shapes=["platform"]))
    threads[5]["biography"] = "Line one of a bio\nline two, with \"quotes\""
    threads[6]["biography"] = '=HYPERLINK("https://example.com","click")'
    (folder / "threads_profiles.csv").write_bytes(_csv(threads))

    x_rows = list(generate_profiles(1000, seed=13, platforms=["x"], shapes=["platform"]))
    document = {"data": x_rows, "meta": {"result_count": len(x_rows)}}
    with gzip.GzipFile(folder / "x_users_by.json.gz", "wb", mtime=0) as out:
        out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2))

    generic = list(generate_profiles(400, seed=14, shapes=["generic"]))
    (folder / "generic_profiles.jsonl").write_bytes(
        b"".join(orjson.dumps(row) + b"\n" for row in generic))
    return sorted(folder.iterdir())


def _csv(rows: list[dict[str, Any]]) -> bytes:
    fields: list[str] = []
    for row in rows:
        fields.extend(k for k in row if k not in fields)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


if __name__ == "__main__":
    for path in write_demo_files():
        print(path, path.stat().st_size)
