"""The privacy commands as an operator runs them: `sxp suppress import`, `sxp erase`, and
`sxp retention run` whose lifecycle rules the `aws` CLI reads back from the bucket."""

from __future__ import annotations

import json
from pathlib import Path

import orjson

from .conftest import Cli

ROW = {"platform": "threads", "display_name": "Pat Sample", "followers": 500,
       "bio": "Florist in Boise", "location": "Boise, ID", "scraped_at": "2026-11-01T10:00:00Z"}


def test_suppress_erase_and_retention_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    optouts = tmp_path / "optouts.txt"
    optouts.write_text("threads:never_here\n??\n")
    refused = cli.sxp("suppress", "import", str(optouts), check=False)
    assert refused.returncode == 1 and json.loads(refused.stdout)["refused_lines"] == [2]
    assert "never_here" not in refused.stdout + refused.stderr

    pool = tmp_path / "pool.jsonl"
    pool.write_bytes(b"".join(orjson.dumps({**ROW, "handle": h}) + b"\n"
                              for h in ("never_here", "pat_florist", "other_florist")))
    cli.sxp("import", str(pool))
    cli.sxp("run", "--quiet")
    assert cli.status()["ingest"]["suppressed"] == 1

    erased = json.loads(cli.sxp("erase", "--handle", "threads:@Pat_Florist").stdout)
    assert erased["state"] == "done" and erased["removed"]["tier1_profiles"] == 1
    assert erased["tombstone_batches"] == []  # pat's card (hold) was handed to no consumer
    assert cli.status()["tiers"]["tier1_profiles"] == 1

    rules = json.loads(cli.sxp("retention", "run").stdout)["lifecycle_rules"]
    assert {r["prefix"] for r in rules} == {"inbox/", "stage/", "exports/"}
    bucket = cli.env["SPACES_BUCKET"]
    lifecycle = json.loads(cli.aws("s3api", "get-bucket-lifecycle-configuration",
                                   "--bucket", bucket).stdout)
    assert {(r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in lifecycle["Rules"]} == {
        (r["prefix"], r["days"]) for r in rules}
    shown = json.loads(cli.sxp("retention", "show").stdout)
    assert shown["days"]["inbox"] == 30 and shown["oldest"]["inbox"]
