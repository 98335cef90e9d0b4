"""json and jsonb columns read through our connections as the standard library reads them."""

from __future__ import annotations

import json

import pytest

from sxp.adapters.postgres.connection import json_loads
from sxp.bootstrap import App

# what Postgres can hold and orjson alone would read differently (or not at all), and the
# everyday values it reads the same
VALUES = [
    '["r1", "r2"]', '{"a": 1.5, "b": null, "c": [true, false]}', '"Zoë \\u00e9 \\ud83d\\ude00"',
    "0.1", "-0.0", "1e-7", "1.7976931348623157e308", "5e-324", "123.456789012345678",
    "9223372036854775807", "-9223372036854775808", "18446744073709551615",
    "18446744073709551616", "-9999999999999999999", "123456789012345678901234567890",
    "1e400", '{"id": 12345678901234567890123, "phone": "+15550100"}', '{"nested": {"deep": [[]]}}',
]


@pytest.mark.parametrize("kind", ["json", "jsonb"])
def test_fetched_json_is_what_the_standard_library_reads(app: App, kind: str) -> None:
    with app.connect() as conn:
        for text in VALUES:
            row = conn.execute(f"SELECT %s::{kind} AS value, %s::{kind}::text AS text",
                               (text, text)).fetchone()
            assert row is not None
            expected = json.loads(row["text"])
            assert row["value"] == expected, text
            assert type(row["value"]) is type(expected), text


def test_json_loads_falls_back_for_what_orjson_refuses() -> None:
    assert json_loads(b"[1e400]") == [float("inf")]
    assert json_loads(b"123456789012345678901234567890") == 123456789012345678901234567890
    assert json_loads(b'{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
