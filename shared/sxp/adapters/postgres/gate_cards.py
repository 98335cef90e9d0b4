"""The gate's repository: decide fresh cards in one statement, read eligible ones by index.

`sxp.domain.gate.ineligible_reason` is the reference; `reason_sql` is its twin in SQL for one
provider chain, built from the domain's own tables (`REASON_INPUTS`, `needs_of`), and a test
holds the two to the same answers. An input counts as present when it is a non-empty string,
as `enrich_inputs` always holds strings or nulls.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import psycopg
from psycopg import sql

from sxp.adapters.postgres.named_sql import query
from sxp.domain.enrichability import REASON_INPUTS, needs_of
from sxp.domain.gate import LOW_CONFIDENCE, LOW_READINESS, UNLABELED, GateCard
from sxp.domain.rules import GatePolicy

BASIS_LOCK = 0x5358_4742  # gate passes hold it alone; card builders deciding cards, shared

CURRENT_LABELS = sql.SQL(
    "(labeled_hash = profile_hash || '@' || %(version)s"
    " OR coalesce(split_part(labeled_hash, '@', 1) = profile_hash"
    " AND labeled_at < (SELECT lp.completed_at FROM execution.label_passes lp"
    " WHERE lp.ruleset_version = %(version)s), false))")


def _present(reason: str) -> sql.Composable:
    """True when the inputs `reason` names are all there."""
    return sql.SQL(" AND ").join(
        sql.SQL("coalesce(enrich_inputs ->> {}, '') <> ''").format(sql.Literal(name))
        for name in REASON_INPUTS[reason])


def reason_sql(providers: Sequence[str]) -> sql.Composable:
    """Why no provider of the chain may enrich the card, NULL when one may (the gate's
    thresholds and labels are the `labels`, `min_readiness` and `min_confidence` params)."""
    can = sql.SQL(" OR ").join(
        sql.SQL("({})").format(sql.SQL(" AND ").join(
            [_present(r) for r in REASON_INPUTS if r in needs_of(p)] or [sql.SQL("true")]))
        for p in providers)
    first = [r for r in REASON_INPUTS if r in needs_of(providers[0])]
    missing = sql.SQL("CASE {} END").format(sql.SQL(" ").join(
        sql.SQL("WHEN NOT ({}) THEN {}").format(_present(r), sql.Literal(r)) for r in first)
    ) if first else sql.SQL("NULL")
    return sql.SQL(
        "CASE WHEN execution_label IS NULL THEN {unlabeled}"
        " WHEN execution_label <> ALL(%(labels)s::text[]) THEN 'label_' || execution_label"
        " WHEN readiness_score < %(min_readiness)s THEN {low_readiness}"
        " WHEN base_confidence < %(min_confidence)s THEN {low_confidence}"
        " WHEN {can} THEN NULL ELSE {missing} END").format(
        unlabeled=sql.Literal(UNLABELED), low_readiness=sql.Literal(LOW_READINESS),
        low_confidence=sql.Literal(LOW_CONFIDENCE), can=can, missing=missing)


def _statement(name: str, providers: Sequence[str]) -> sql.Composed:
    return sql.SQL(query("gate_cards", name)).format(current=CURRENT_LABELS,
                                                 reason=reason_sql(providers))


def _params(version: str, policy: GatePolicy, **more: Any) -> dict[str, Any]:
    return {"version": version, "labels": policy.enrichable_labels,
            "min_readiness": policy.min_readiness_score,
            "min_confidence": policy.min_base_confidence, **more}


def decide(conn: psycopg.Connection[Any], version: str, policy: GatePolicy,
           providers: Sequence[str], *, everything: bool) -> dict[str, int]:
    """Give the fresh cards waiting for the gate (all of them with `everything`) their fate:
    `ineligible` with its reason, or eligible and waiting (`budget_exhausted`) until a pass
    buys them. The ineligible cards per reason."""
    rows = conn.execute(_statement("decide_all" if everything else "decide_fresh", providers),
                        _params(version, policy)).fetchall()
    return {r["reason"]: r["cards"] for r in rows}


def count_reasons(conn: psycopg.Connection[Any], version: str, policy: GatePolicy,
                  providers: Sequence[str]) -> dict[str, int]:
    """What `decide(everything=True)` would find ineligible, written nowhere."""
    rows = conn.execute(_statement("count_reasons", providers),
                        _params(version, policy)).fetchall()
    return {r["reason"]: r["cards"] for r in rows}


def iter_eligible(conn: psycopg.Connection[Any], version: str, policy: GatePolicy,
                  providers: Sequence[str], chunk: int = 2000, *,
                  decided: bool = True) -> Generator[GateCard, None, None]:
    """Eligible cards waiting for budget, best first (`sxp.domain.gate.priority_key`'s
    order): label by label in `enrichable_labels` order, each read by index. Stop reading
    when the budget ends. With `decided=False` (a dry run), every waiting card that would be
    eligible now, fresh ones included. Server-side cursors: call inside the caller's
    transaction."""
    statement = _statement("eligible_of_label" if decided else "judged_eligible_of_label",
                           providers)
    for label in dict.fromkeys(policy.enrichable_labels):
        with conn.cursor(name="sxp_gate_eligible") as cur:
            cur.itersize = chunk
            cur.execute(statement, _params(version, policy, label=label))
            while rows := cur.fetchmany(chunk):
                yield from (GateCard(card_id=r["id"], execution_label=r["execution_label"],
                                     readiness_score=float(r["readiness_score"]),
                                     base_confidence=float(r["base_confidence"]),
                                     enrich_inputs=r["enrich_inputs"] or {}) for r in rows)


def count_eligible(conn: psycopg.Connection[Any], version: str, policy: GatePolicy,
                   providers: Sequence[str], *, decided: bool = True) -> int:
    """The cards waiting for budget (from the index alone); with `decided=False`, every
    waiting card that would be eligible now (a dry run)."""
    name = "count_eligible" if decided else "count_judged_eligible"
    row = conn.execute(_statement(name, providers), _params(version, policy)).fetchone()
    return int(row["cards"]) if row else 0


def has_fresh(conn: psycopg.Connection[Any]) -> bool:
    """Labeled cards no gate pass has decided yet."""
    row = conn.execute(query("gate_cards", "has_fresh")).fetchone()
    return bool(row and row["fresh"])


def has_waiting(conn: psycopg.Connection[Any]) -> bool:
    """Cards judged eligible and left waiting for budget."""
    row = conn.execute(query("gate_cards", "has_waiting")).fetchone()
    return bool(row and row["waiting"])


def hold_basis(conn: psycopg.Connection[Any]) -> None:
    """A gate pass: no card builder decides cards until the caller's transaction ends (so the
    basis this pass records is the one every decision stands under)."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (BASIS_LOCK,))


def adopt_basis(conn: psycopg.Connection[Any], value: str) -> bool:
    """A card builder: whether it may decide the cards it writes under basis `value` — the
    one the last gate pass recorded, or recorded now when no pass has. Holds the basis (no
    gate pass records another) until the caller's transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (BASIS_LOCK,))
    conn.execute(query("gate_cards", "adopt_basis"), {"basis": value})
    return basis(conn) == value


def basis(conn: psycopg.Connection[Any]) -> str | None:
    """What the last gate pass judged eligibility under, if any pass did."""
    row = conn.execute(query("gate_cards", "basis")).fetchone()
    return str(row["basis"]) if row else None


def record_basis(conn: psycopg.Connection[Any], value: str) -> None:
    conn.execute(query("gate_cards", "record_basis"), {"basis": value})
