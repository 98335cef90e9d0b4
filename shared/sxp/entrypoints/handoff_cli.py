"""`sxp consumers …`, `sxp deliveries …`, `sxp erase`, `sxp suppress …` and `sxp retention …`:
the commands of the handoff and of privacy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from sxp.bootstrap import App
from sxp.domain.consumers import TRANSPORTS


def add_parsers(sub: Any) -> None:
    erase = sub.add_parser("erase", help="erase a subject from every tier and staged object;"
                                         " every consumer given its card gets a tombstone")
    who = erase.add_mutually_exclusive_group(required=True)
    who.add_argument("--handle", help="PLATFORM:HANDLE, e.g. tiktok:jane.doe")
    who.add_argument("--email")
    who.add_argument("--phone")
    suppress = sub.add_parser("suppress", help="the suppression list (keyed hashes only)")
    ssub = suppress.add_subparsers(dest="suppress_command", required=True)
    ssub.add_parser("import", help="add opt-outs: one handle:P:H, email:E, phone:N (or a bare"
                                   " value) per line").add_argument("file", type=Path)
    ssub.add_parser("list", help="entries by kind and source")
    retention = sub.add_parser("retention", help="periods kept per kind of data")
    rsub = retention.add_subparsers(dest="retention_command", required=True)
    run = rsub.add_parser("run", help="remove what is older than its period; set the bucket's"
                                      " lifecycle rules")
    run.add_argument("--dry-run", action="store_true", help="count, remove nothing")
    rsub.add_parser("show", help="the periods, the oldest object of each kind, the bucket's"
                                 " lifecycle rules")
    consumers = sub.add_parser("consumers", help="execution platforms that receive batches")
    csub = consumers.add_subparsers(dest="consumers_command", required=True)
    add = csub.add_parser("add", help="register a consumer (a webhook's signing secret is"
                                      " printed once)")
    add.add_argument("name")
    add.add_argument("--transport", required=True, choices=TRANSPORTS)
    add.add_argument("--url", help="webhook: the receiver's URL")
    add.add_argument("--stream", help="queue: the stream key (default sxp:batches)")
    add.add_argument("--maxlen", type=int, help="queue: trim the stream to about this many")
    add.add_argument("--timeout", type=float, help="webhook: seconds per attempt (default 10)")
    add.add_argument("--labels", help="comma-separated execution labels it receives"
                                      " (default: every label but hold)")
    add.add_argument("--pools", help="comma-separated audience pools (default: all)")
    add.add_argument("--no-contact", action="store_true",
                     help="leave Tier 2 contact and business fields out of its records")
    csub.add_parser("list", help="every consumer with its transport, filter and state")
    for name, text in (("show", "one consumer"), ("pause", "stop its deliveries"),
                       ("resume", "deliver again, starting with what waited"),
                       ("remove", "stop handing it batches (its history stays)"),
                       ("rotate-secret", "a new webhook signing secret (printed once); the"
                                         " old one signs too for the overlap")):
        csub.add_parser(name, help=text).add_argument("name")
    deliveries = sub.add_parser("deliveries", help="the handoff outbox: one delivery per batch")
    dsub = deliveries.add_subparsers(dest="deliveries_command", required=True)
    listed = dsub.add_parser("list", help="newest first")
    listed.add_argument("--consumer")
    listed.add_argument("--state",
                        choices=("pending", "delivered", "acknowledged", "paused", "dead"))
    listed.add_argument("--limit", type=int, default=50)
    dsub.add_parser("replay", help="deliver a batch again (same event id)").add_argument(
        "id", type=int)


def dispatch(app: App, args: argparse.Namespace) -> int:
    from sxp.pipeline import consumers as use

    privacy = {"erase": _erase, "suppress": _suppress, "retention": _retention}
    if args.command in privacy:
        return privacy[args.command](app, args)
    if args.command == "deliveries":
        if args.deliveries_command == "replay":
            _print(use.describe_delivery(use.replay(app, args.id)))
        else:
            _print([use.describe_delivery(d) for d in use.list_deliveries(
                app, consumer_name=args.consumer, state=args.state, limit=args.limit)])
        return 0
    command = args.consumers_command
    if command == "add":
        added = use.add_consumer(
            app, name=args.name, transport=args.transport, settings=_settings(args),
            execution_labels=_split(args.labels), audience_pools=_split(args.pools),
            include_contact=not args.no_contact)
        out = use.describe(added.consumer)
        if added.signing_secret:
            out["signing_secret"] = added.signing_secret
        _print(out)
    elif command == "list":
        _print([use.describe(c) for c in use.list_consumers(app)])
    elif command == "show":
        _print(use.describe(use.consumer(app, args.name)))
    elif command == "pause":
        _print(use.describe(use.pause(app, args.name)))
    elif command == "resume":
        consumer, waiting = use.resume(app, args.name)
        _print({**use.describe(consumer), "deliveries_resumed": waiting})
    elif command == "remove":
        _print(use.describe(use.remove(app, args.name)))
    else:
        print(use.rotate_secret(app, args.name))
    return 0


def _retention(app: App, args: argparse.Namespace) -> int:
    from sxp.pipeline.retention import oldest_by_kind, run_retention

    if args.retention_command == "run":
        _print(vars(run_retention(app, dry_run=args.dry_run)))
    else:
        _print({"days": app.settings.retention, "oldest": oldest_by_kind(app),
                "bucket_lifecycle_rules": [vars(r) for r in app.store.expiration_rules()]})
    return 0


def _suppress(app: App, args: argparse.Namespace) -> int:
    from sxp.pipeline.suppress import import_file, suppression_counts

    if args.suppress_command == "list":
        _print(suppression_counts(app))
        return 0
    result = import_file(app, args.file)
    _print(vars(result))
    return 1 if result.refused_lines else 0


def _erase(app: App, args: argparse.Namespace) -> int:
    """Erase now, then export and deliver the tombstones; print what was removed where."""
    from sxp.pipeline.erase import erase, request_erasure
    from sxp.pipeline.runner import drain

    kind = "handle" if args.handle else "email" if args.email else "phone"
    requested = request_erasure(app, kind=kind, value=args.handle or args.email or args.phone,
                                requested_by="cli")
    report = erase(app, requested.id)
    drain(app, kinds=["erase", "export", "deliver"], max_idle_wait_s=10)
    from sxp.pipeline import consumers as use

    told = [use.describe_delivery(d) for d in use.list_deliveries(app, limit=500)
            if d.withdrawal_count and d.created_at >= requested.requested_at]
    _print({"erasure_id": report.id, "state": report.state, "subject_kind": report.subject_kind,
            "cards": report.cards, "removed": report.removed,
            "tombstone_batches": [{k: d[k] for k in ("consumer", "batch_id", "state",
                                                     "withdrawal_count")} for d in told]})
    return 0


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    given = {"url": args.url, "stream": args.stream, "maxlen": args.maxlen,
             "timeout_s": args.timeout}
    return {k: v for k, v in given.items() if v is not None}


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",")]


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2, default=str))
