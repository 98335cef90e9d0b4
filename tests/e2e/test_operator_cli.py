"""The CLI as a new operator meets it: bad files, bad values, mistakes and dead jobs each get
a message and the documented exit code (0 ok, 1 finished with failures, 2 bad usage or
configuration), never a traceback; `sxp run` ends with a summary whose numbers match
`sxp status --json`; logs go to the log file, not the terminal."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from sxp.adapters.postgres import queue
from sxp.bootstrap import App
from sxp.entrypoints.cli import app as cli_app
from sxp.entrypoints.demo import sample_files

from .conftest import Cli

MOSTLY_REJECTED_CSV = b"username,platform,followers\n" + b"".join(
    f"bad handle {i},x,{i}\n".encode() for i in range(30)) + b"ok_handle_1,x,5\nok_handle_2,x,7\n"


def _no_traceback(proc: Any) -> None:
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr


def _drop(cli: Cli, tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    cli.aws("s3", "cp", str(path), f"s3://{cli.env['SPACES_BUCKET']}/inbox/ops/{name}")


def test_run_summarizes_bad_files_and_matches_status(cli: Cli, tmp_path: Path) -> None:
    for path in sample_files():
        cli.aws("s3", "cp", str(path), f"s3://{cli.env['SPACES_BUCKET']}/inbox/ops/{path.name}")
    _drop(cli, tmp_path, "binary.jsonl", b"\x00\x01\x02binary\xff" * 10)
    _drop(cli, tmp_path, "empty.jsonl", b"")
    _drop(cli, tmp_path, "wrong_header.csv", b"name,city\nAda,Paris\nBob,Rome\n")
    _drop(cli, tmp_path, "mostly_rejected.csv", MOSTLY_REJECTED_CSV)

    ran = cli.sxp("run", "--json", check=False)
    _no_traceback(ran)
    assert ran.returncode == 1  # finished with failures: three files failed
    summary = json.loads(ran.stdout)
    status = cli.status()
    by_name = {f["key"].rsplit("/", 1)[-1]: f for f in summary["files"]}
    assert by_name["binary.jsonl"]["reason_code"] == "binary_file"
    assert by_name["empty.jsonl"]["reason_code"] == "empty_file"
    header = by_name["wrong_header.csv"]
    assert header["state"] == "failed" and header["reason_code"] == "unknown_columns"
    assert "'name', 'city'" in header["reason"]
    mostly = by_name["mostly_rejected.csv"]
    assert mostly["mostly_rejected"] and mostly["rows_rejected"] == 30
    assert mostly["rows_loaded"] == 2 and mostly["rejects"].startswith("s3://")

    ingested = [f for f in summary["files"] if f["state"] == "ingested"]
    assert sum(f["rows_read"] for f in ingested) == status["ingest"]["rows_read"]
    assert sum(f["rows_rejected"] for f in ingested) == status["ingest"]["rejected"]
    assert sum(f["rows_deduped"] for f in ingested) == status["ingest"]["deduped"]
    assert len([f for f in summary["files"] if f["state"] == "failed"]) == len(
        status["failed_files"]) == 3
    assert summary["cards_by_execution_label"] == status["cards_by_execution_label"]
    gate, (enrichment,) = summary["gate"], summary["enrichment"]
    assert gate["passes"] >= 1 and gate["out_of_budget"] == 0
    assert gate["cards_queued"] == enrichment["found"] + enrichment["not_found"] > 0
    assert enrichment["provider"] == "skiptrace"
    assert enrichment["found"] == status["cards_by_enrich_state"]["enriched"]
    assert enrichment["credits"] == status["credits"]["spend"]
    (batch,) = summary["batches"]
    assert batch["consumer"] == "default" and batch["card_count"] == \
        status["tiers"]["exported_cards"]
    assert summary["waiting"] == [] and summary["failed"] is True

    # the human summary says the same, logs stay out of the terminal
    again = cli.sxp("run", check=False)
    assert again.returncode == 0 and "no new files" in again.stdout  # this run: no failure
    assert '"level"' not in again.stdout + again.stderr
    log_file = Path(cli.env["SXP_HOME"]) / "logs/sxp.log"
    assert '"logger":"sxp.runner"' in log_file.read_text()
    verbose = cli.sxp("--verbose", "scan", check=False)
    assert verbose.returncode == 0 and '"level"' in verbose.stderr

    files = cli.sxp("files", "--failed")
    assert files.stdout.count("failed") >= 3 and "unknown_columns" in files.stdout
    rejects = json.loads(cli.sxp("rejects", "mostly_rejected.csv", "--json").stdout)
    (reason,) = rejects["by_reason"]
    assert reason["reason_code"] == "invalid_handle" and reason["rows"] == 30
    assert len(reason["examples"]) == 3 and rejects["rejects"].startswith("s3://")
    failed_header = json.loads(cli.sxp("rejects", "wrong_header.csv", "--json").stdout)
    assert failed_header["file_failure"]["reason_code"] == "unknown_columns"
    unknown = cli.sxp("rejects", "nope.csv", check=False)
    assert unknown.returncode == 2 and "no inbox file" in unknown.stderr


def test_mistakes_are_refused_with_a_message(cli: Cli, app: App, tmp_path: Path) -> None:
    cases = [
        (["pull", "--platform", "x", "someone"], "pull_not_configured"),
        (["pull", "--platform", "x", "--file", "/nope.txt"], "does not exist"),
        (["worker", "--concurrency", "0"], "greater than or equal to 1"),
        (["worker", "--kinds", "bogus"], "unknown job kind"),
        (["retry", "999"], "no job 999"),
        (["jobs", "drop", "999"], "no job 999"),
        (["pull", "--platform", "myspace", "a"], "myspace"),
        (["erase"], "exactly one of"),
    ]
    for args, message in cases:
        proc = cli.sxp(*args, check=False)
        _no_traceback(proc)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
    with_settings = Cli({**cli.env, "X_API_BASE_URL": "http://127.0.0.1:9",
                         "X_API_BEARER_TOKEN": "t"}, cli.cwd)
    bad = with_settings.sxp("pull", "--platform", "x", "ok_handle", "not a handle!", check=False)
    assert bad.returncode == 2 and "invalid_handles" in bad.stderr
    assert "pull" not in cli.status()["jobs"]  # nothing was scheduled by any of them

    local_store = Cli({k: v for k, v in cli.env.items() if not k.startswith("SPACES_")},
                      cli.cwd)
    proc = local_store.sxp("verify-bundle", "s3://elsewhere/exports/manifest.json",
                           check=False)
    _no_traceback(proc)
    assert proc.returncode == 2 and "store_not_configured" in proc.stderr

    stop = cli.sxp("stop")
    assert "DATABASE_URL is set" in stop.stdout


def test_dead_jobs_are_listed_retried_and_dropped(cli: Cli, app: App) -> None:
    with app.connect() as conn:
        ids = [queue.enqueue(conn, "export", {"consumer": f"c{i}"}) for i in range(2)]
        conn.execute("UPDATE queue.jobs SET state = 'dead', last_error = 'boom' "
                     "WHERE id = ANY(%s)", (ids,))
        conn.commit()
    listed = json.loads(cli.sxp("jobs", "--state", "dead", "--json").stdout)
    assert {j["id"] for j in listed["jobs"]} == set(ids)
    assert "boom" in cli.sxp("jobs").stdout
    assert cli.sxp("jobs", "drop", str(ids[0])).stdout.strip() == f"dropped dead job {ids[0]}"
    assert cli.sxp("retry", str(ids[1])).stdout.startswith("1 job(s)")
    not_dead = cli.sxp("jobs", "drop", str(ids[1]), check=False)
    assert not_dead.returncode == 2 and "only a dead job" in not_dead.stderr


def test_doctor_names_what_is_wrong(cli: Cli) -> None:
    healthy = json.loads(cli.sxp("doctor", "--json").stdout)
    assert {c["name"] for c in healthy} >= {"settings", "database", "bucket",
                                            "provider skiptrace", "consumer default (file)"}
    assert all(c["ok"] for c in healthy), healthy
    env = {**cli.env, "SXP_WEBHOOK_ALLOW_PRIVATE": "true"}
    Cli(env, cli.cwd).sxp("consumers", "add", "crm", "--transport", "webhook",
                          "--url", "http://127.0.0.1:9/hook")
    broken = Cli({**env, "SKIPTRACE_BASE_URL": "http://127.0.0.1:9"}, cli.cwd)
    proc = broken.sxp("doctor", check=False)
    assert proc.returncode == 1
    assert "FAIL provider skiptrace: http://127.0.0.1:9 unreachable" in proc.stdout
    assert "FAIL consumer crm (webhook)" in proc.stdout


def test_every_command_and_option_has_help() -> None:
    import typer.main

    def walk(command: Any, path: str) -> None:
        assert command.help or command.short_help, f"{path} has no help text"
        for param in command.params:
            if param.name != "help" and getattr(param, "param_type_name", "") == "option":
                assert param.help, f"{path} {param.opts} has no help text"
            if getattr(param, "param_type_name", "") == "argument":
                assert getattr(param, "help", None), f"{path} {param.name} has no help text"
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(typer.main.get_command(cli_app), "sxp")
    assert isinstance(cli_app, typer.Typer)


def test_gzip_file_with_a_wrong_header_fails_as_a_file(cli: Cli, tmp_path: Path) -> None:
    _drop(cli, tmp_path, "packed.csv.gz", gzip.compress(b"a,b\n1,2\n"))
    proc = cli.sxp("run", "--json", check=False)
    (failed,) = json.loads(proc.stdout)["files"]
    assert failed["reason_code"] == "unknown_columns" and proc.returncode == 1
