"""The handoff's and privacy's commands: consumers, deliveries, erase, suppress, retention."""

from __future__ import annotations

from enum import Enum, StrEnum
from pathlib import Path

import typer

from sxp.domain.consumers import TRANSPORTS
from sxp.entrypoints.cli.base import FAILURES, OK, CliError, open_app, print_json

Transport = Enum("Transport", {t: t for t in TRANSPORTS}, type=str)  # type: ignore[misc]


class DeliveryState(StrEnum):
    pending = "pending"
    delivered = "delivered"
    acknowledged = "acknowledged"
    paused = "paused"
    dead = "dead"


def register(app: typer.Typer) -> None:
    consumers = typer.Typer(help="Execution platforms that receive batches.",
                            no_args_is_help=True)
    consumers.command("add")(add_consumer)
    consumers.command("list")(list_consumers)
    for name, function in (("show", show_consumer), ("pause", pause_consumer),
                           ("resume", resume_consumer), ("remove", remove_consumer),
                           ("rotate-secret", rotate_secret)):
        consumers.command(name)(function)
    app.add_typer(consumers, name="consumers")
    deliveries = typer.Typer(help="The handoff outbox: one delivery per batch.",
                             no_args_is_help=True)
    deliveries.command("list")(list_deliveries)
    deliveries.command("replay")(replay_delivery)
    app.add_typer(deliveries, name="deliveries")
    app.command("erase")(erase)
    suppress = typer.Typer(help="The suppression list (keyed hashes only).",
                           no_args_is_help=True)
    suppress.command("import")(import_suppressions)
    suppress.command("list")(list_suppressions)
    app.add_typer(suppress, name="suppress")
    retention = typer.Typer(help="Periods kept per kind of data.", no_args_is_help=True)
    retention.command("run")(run_retention)
    retention.command("show")(show_retention)
    app.add_typer(retention, name="retention")


NAME = typer.Argument(..., help="the consumer's name")


def add_consumer(
        name: str = NAME,
        transport: Transport = typer.Option(..., help="how it receives batches"),
        url: str | None = typer.Option(None, help="webhook: the receiver's URL"),
        stream: str | None = typer.Option(None, help="queue: the stream key (default "
                                                     "sxp:batches)"),
        maxlen: int | None = typer.Option(None, min=1, help="queue: trim the stream to about "
                                                            "this many"),
        timeout: float | None = typer.Option(None, min=0.1, help="webhook: seconds per "
                                                                  "attempt (default 10)"),
        labels: str | None = typer.Option(None, help="comma-separated execution labels it "
                                                     "receives (default: every label but "
                                                     "hold)"),
        pools: str | None = typer.Option(None, help="comma-separated audience pools "
                                                    "(default: all)"),
        no_contact: bool = typer.Option(False, "--no-contact",
                                        help="leave Tier 2 contact and business fields out "
                                             "of its records"),
) -> int:
    """Register a consumer (a webhook's signing secret is printed once)."""
    from sxp.pipeline import consumers as use

    given = {"url": url, "stream": stream, "maxlen": maxlen, "timeout_s": timeout}
    with open_app() as app:
        added = use.add_consumer(
            app, name=name, transport=transport.value,
            settings={k: v for k, v in given.items() if v is not None},
            execution_labels=_split(labels), audience_pools=_split(pools),
            include_contact=not no_contact)
        out = use.describe(added.consumer)
    if added.signing_secret:
        out["signing_secret"] = added.signing_secret
    print_json(out)
    return OK


def list_consumers() -> int:
    """Every consumer with its transport, filter and state."""
    from sxp.pipeline import consumers as use

    with open_app() as app:
        print_json([use.describe(c) for c in use.list_consumers(app)])
    return OK


def show_consumer(name: str = NAME) -> int:
    """One consumer."""
    from sxp.pipeline import consumers as use

    with open_app() as app:
        print_json(use.describe(use.consumer(app, name)))
    return OK


def pause_consumer(name: str = NAME) -> int:
    """Stop its deliveries (batches keep being made)."""
    from sxp.pipeline import consumers as use

    with open_app() as app:
        print_json(use.describe(use.pause(app, name)))
    return OK


def resume_consumer(name: str = NAME) -> int:
    """Deliver again, starting with what waited."""
    from sxp.pipeline import consumers as use

    with open_app() as app:
        consumer, waiting = use.resume(app, name)
        print_json({**use.describe(consumer), "deliveries_resumed": waiting})
    return OK


def remove_consumer(name: str = NAME) -> int:
    """Stop handing it batches (its history stays)."""
    from sxp.pipeline import consumers as use

    with open_app() as app:
        print_json(use.describe(use.remove(app, name)))
    return OK


def rotate_secret(name: str = NAME) -> int:
    """A new webhook signing secret (printed once); the old one signs too for the overlap."""
    from sxp.pipeline import consumers as use

    with open_app() as app:
        typer.echo(use.rotate_secret(app, name))
    return OK


def list_deliveries(consumer: str | None = typer.Option(None, help="only this consumer's"),
                    state: DeliveryState | None = typer.Option(None, help="only this state"),
                    limit: int = typer.Option(50, min=1, max=10000, help="at most this many")
                    ) -> int:
    """Deliveries, newest first."""
    from sxp.pipeline import consumers as use

    with open_app() as app:
        print_json([use.describe_delivery(d) for d in use.list_deliveries(
            app, consumer_name=consumer, state=state.value if state else None, limit=limit)])
    return OK


def replay_delivery(delivery_id: int = typer.Argument(..., help="the delivery's id")) -> int:
    """Deliver a batch again (same event id)."""
    from sxp.pipeline import consumers as use

    with open_app() as app:
        print_json(use.describe_delivery(use.replay(app, delivery_id)))
    return OK


def erase(handle: str | None = typer.Option(None, help="PLATFORM:HANDLE, e.g. "
                                                       "tiktok:jane.doe"),
          email: str | None = typer.Option(None, help="an e-mail address"),
          phone: str | None = typer.Option(None, help="a phone number")) -> int:
    """Erase a subject from every tier and staged object; every consumer given its card gets
    a tombstone. Give exactly one of --handle, --email, --phone."""
    from sxp.pipeline import consumers as use
    from sxp.pipeline.erase import erase as erase_now
    from sxp.pipeline.erase import request_erasure
    from sxp.pipeline.runner import drain

    given = {k: v for k, v in (("handle", handle), ("email", email), ("phone", phone)) if v}
    if len(given) != 1:
        raise CliError("give exactly one of --handle, --email, --phone")
    ((kind, value),) = given.items()
    with open_app() as app:
        requested = request_erasure(app, kind=kind, value=value, requested_by="cli")
        report = erase_now(app, requested.id)
        drain(app, kinds=["erase", "export", "deliver"], max_idle_wait_s=10)
        told = [use.describe_delivery(d) for d in use.list_deliveries(app, limit=500)
                if d.withdrawal_count and d.created_at >= requested.requested_at]
    print_json({"erasure_id": report.id, "state": report.state,
                "subject_kind": report.subject_kind, "cards": report.cards,
                "removed": report.removed,
                "tombstone_batches": [{k: d[k] for k in ("consumer", "batch_id", "state",
                                                         "withdrawal_count")} for d in told]})
    return OK


def import_suppressions(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                    readable=True,
                                                    help="one handle:P:H, email:E, phone:N "
                                                         "(or a bare value) per line")) -> int:
    """Add opt-outs to the suppression list; exit 1 when some lines were refused."""
    from sxp.pipeline.suppress import import_file

    with open_app() as app:
        result = import_file(app, file)
    print_json(vars(result))
    return FAILURES if result.refused_lines else OK


def list_suppressions() -> int:
    """Entries by kind and source."""
    from sxp.pipeline.suppress import suppression_counts

    with open_app() as app:
        print_json(suppression_counts(app))
    return OK


def run_retention(dry_run: bool = typer.Option(False, "--dry-run",
                                               help="count, remove nothing")) -> int:
    """Remove what is older than its period; set the bucket's lifecycle rules."""
    from sxp.pipeline.retention import run_retention as run_now

    with open_app() as app:
        print_json(vars(run_now(app, dry_run=dry_run)))
    return OK


def show_retention() -> int:
    """The periods, the oldest object of each kind, the bucket's lifecycle rules."""
    from sxp.pipeline.retention import oldest_by_kind

    with open_app() as app:
        print_json({"days": app.settings.retention, "oldest": oldest_by_kind(app),
                    "bucket_lifecycle_rules": [vars(r) for r in app.store.expiration_rules()]})
    return OK


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",")]
