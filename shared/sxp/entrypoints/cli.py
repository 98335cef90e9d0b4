"""The `sxp` command line: parse, bootstrap, call one step or query, print."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sxp.errors import SxpError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sxp", description="Social XPress Engine")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply pending database migrations")
    imp = sub.add_parser("import", help="put local files into the inbox")
    imp.add_argument("paths", nargs="+", type=Path)
    imp.add_argument("--platform", choices=["x", "tiktok", "threads"])
    imp.add_argument("--format", dest="fmt", choices=["jsonl", "json", "csv"])
    pull = sub.add_parser("pull", help="schedule pulling handles from a platform API")
    pull.add_argument("--platform", required=True, choices=["x", "tiktok", "threads"])
    pull.add_argument("--file", type=Path, help="a file with one handle per line")
    pull.add_argument("handles", nargs="*")
    sub.add_parser("scan", help="register new inbox objects and schedule their ingest")
    run = sub.add_parser("run", help="scan, then drain every pending step until nothing is left")
    run.add_argument("--quiet", action="store_true")
    wrk = sub.add_parser("worker", help="long-running job worker (enrichment)")
    wrk.add_argument("--concurrency", type=int)
    wrk.add_argument("--kinds", help="comma-separated job kinds (default: all)")
    wrk.add_argument("--stop-when-idle", action="store_true")
    st = sub.add_parser("status", help="counts per tier, step and batch state")
    st.add_argument("--json", action="store_true")
    gate = sub.add_parser("gate", help="form enrichment batches within budget")
    gate.add_argument("--dry-run", action="store_true")
    sub.add_parser("export", help="export ready cards as a Lead Card Batch now")
    ver = sub.add_parser("verify-bundle", help="check a Lead Card Batch manifest and its files")
    ver.add_argument("manifest", help="local path or s3://bucket/key of manifest.json")
    ver.add_argument("--previous", help="the consumer's previous manifest: check the chain")
    jobs = sub.add_parser("retry", help="put dead jobs back in the queue")
    jobs.add_argument("job_id", nargs="?", type=int)
    api = sub.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8080)
    keys = sub.add_parser("keys", help="API keys: create, list, revoke")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    create = keys_sub.add_parser("create", help="create a key; its token is printed once")
    create.add_argument("--name", required=True)
    create.add_argument("--consumer", help="bind the key to a consumer: it sees only that"
                                           " consumer's batches")
    create.add_argument("--scopes", required=True,
                        help="comma-separated: imports:write, imports:read, cards:read, "
                             "contacts:read, batches:read, admin")
    keys_sub.add_parser("list", help="name, scopes, created, last used, revoked")
    revoke = keys_sub.add_parser("revoke", help="revoke a key by name")
    revoke.add_argument("name")
    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    audit_sub.add_parser("verify", help="recompute the hash chain; exit 1 naming the first row"
                                        " that does not match")
    rules = sub.add_parser("rules", help="labeling rules files")
    rules_sub = rules.add_subparsers(dest="rules_command", required=True)
    check = rules_sub.add_parser("check", help="validate a rules file; exit 2 listing each"
                                               " mistake")
    check.add_argument("file", type=Path)
    diff = rules_sub.add_parser("diff", help="what a rules file would change in the current"
                                             " pool and the next gate pass (changes nothing)")
    diff.add_argument("file", type=Path)
    sub.add_parser("demo", help="run the whole pipeline on the shipped synthetic sample")
    from sxp.entrypoints.handoff_cli import add_parsers

    add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except SxpError as exc:
        print(f"sxp: error [{exc.reason_code}]: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:  # noqa: C901 - a flat command table
    from sxp.bootstrap import bootstrap, migrate_database

    if args.command == "demo":
        from sxp.entrypoints.demo import run_demo

        return run_demo()
    if args.command == "rules" and args.rules_command == "check":  # a file only: no database
        from sxp.entrypoints.rules import check_rules_file

        return check_rules_file(args.file)
    if args.command == "migrate":
        migrate_database()
        print("migrations up to date")
        return 0
    app = bootstrap()
    try:
        if args.command == "import":
            from sxp.pipeline.imports import import_paths

            for receipt in import_paths(app, args.paths, platform=args.platform, fmt=args.fmt):
                seen = " (duplicate of an earlier import)" if receipt.duplicate else ""
                print(f"{app.store.url(receipt.key)}{seen}")
        elif args.command == "pull":
            from sxp.pipeline.pull import enqueue_pull

            handles = list(args.handles)
            if args.file:
                handles += args.file.read_text(encoding="utf-8").splitlines()
            ids = enqueue_pull(app, args.platform, handles)
            print(f"{len(ids)} pull job(s) scheduled; `sxp run` or `sxp worker` runs them")
        elif args.command == "scan":
            from sxp.pipeline.scan import scan

            _print(vars(scan(app)))
        elif args.command == "run":
            return _run(app, quiet=args.quiet)
        elif args.command == "worker":
            from sxp.entrypoints.worker import run_worker

            kinds = args.kinds.split(",") if args.kinds else None
            run_worker(app, concurrency=args.concurrency or app.settings.worker_concurrency,
                       kinds=kinds, stop_when_idle=args.stop_when_idle)
        elif args.command == "status":
            from sxp.entrypoints.report import print_status
            from sxp.pipeline.status import collect_status

            status = collect_status(app)
            if args.json:
                _print(status)
            else:
                print_status(status)
        elif args.command == "gate":
            from sxp.pipeline.gate import gate

            _print(_plain(gate(app, dry_run=args.dry_run)))
        elif args.command == "export":
            from sxp.pipeline.export import export

            results = export(app)
            _print([_plain(r) for r in results] if results else {"exported": 0})
        elif args.command == "verify-bundle":
            from sxp.pipeline.verify import verify_bundle

            _print(_plain(verify_bundle(app, args.manifest, args.previous)))
        elif args.command == "retry":
            from sxp.adapters.postgres.queue import retry_dead

            with app.connect() as conn:
                print(f"{retry_dead(conn, args.job_id)} job(s) back in the queue")
        elif args.command == "keys":
            from sxp.entrypoints import keys as key_commands

            if args.keys_command == "create":
                scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
                print(key_commands.create_key(app, args.name, scopes, consumer=args.consumer))
            elif args.keys_command == "list":
                _print(key_commands.list_keys(app))
            else:
                key_commands.revoke_key(app, args.name)
                print(f"revoked {args.name}")
        elif args.command == "audit":
            from sxp.adapters.postgres.audit import verify_chain

            with app.connect() as conn:
                check = verify_chain(conn)
            if check.first_bad is not None:
                print(f"audit chain broken at row {check.first_bad}: {check.reason}"
                      f" ({check.rows} rows checked)", file=sys.stderr)
                return 1
            print(f"audit chain verified: {check.rows} rows")
        elif args.command == "rules":
            from sxp.entrypoints.rules import diff_rules_file

            return diff_rules_file(app, args.file)
        elif args.command in ("consumers", "deliveries", "erase", "suppress", "retention"):
            from sxp.entrypoints.handoff_cli import dispatch

            return dispatch(app, args)
        elif args.command == "api":
            from sxp.entrypoints.api.serve import serve_api

            serve_api(app, args.host, args.port)
        return 0
    finally:
        app.close()


def _run(app: Any, *, quiet: bool) -> int:
    from sxp.entrypoints.report import ProgressPrinter
    from sxp.pipeline.run import run_pipeline

    printer = None if quiet else ProgressPrinter()
    result = run_pipeline(app, on_progress=printer)
    if printer:
        printer.finish()
    print(json.dumps({"files_registered": result.files_registered, "jobs_done": result.drained.done,
                      "jobs_failed": result.drained.failed, "jobs_dead": result.drained.dead}))
    return 1 if result.drained.dead else 0


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(value)
    return value


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))


if __name__ == "__main__":
    raise SystemExit(main())
