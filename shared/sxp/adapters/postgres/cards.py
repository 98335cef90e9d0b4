"""Lead card repository: set-based SQL for the cards, label and gate steps.

Bulk writes go through COPY into a temporary table (dropped at commit) and one statement that
applies it, so thousands of cards cost a handful of round trips.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, LiteralString

import orjson
import psycopg
from psycopg import sql
from psycopg.rows import tuple_row

from sxp.adapters.postgres.named_sql import query
from sxp.adapters.postgres.snapshots import reading_as
from sxp.domain.cards import CardScores, ProfileSignals, split_signals
from sxp.domain.rules import Labeling

# a card as the cards step writes it: its profile, scores and labels, and the gate's decision
# as (enrich_state, enrich_reason)
BuiltCard = tuple[ProfileSignals, CardScores, Labeling, tuple[str, str | None]]
FRESH = ("new", None)  # no decision: the next gate pass decides

# Tier 1 deletes take it alone, card inserts shared (migration 086: it keeps a card from being
# written for a profile an erasure removes in the same moment)
PROFILES_LOCK = 0x5358_5450


def hold_profiles(conn: psycopg.Connection[Any]) -> None:
    """Until the caller's transaction ends, no profile is erased: taken before the profiles
    are read, so an erasure waits for the cards built from them (and then removes them)
    instead of failing this step's insert."""
    conn.execute("SELECT pg_advisory_xact_lock_shared(%s)", (PROFILES_LOCK,))


@dataclass(frozen=True)
class ProfileRange:
    """A run of the stale profiles, by id (both ends included): what one chunk of the cards
    step reads, scores and writes."""

    source_file_id: int | None
    first_id: int
    last_id: int
    count: int


def stale_ranges(conn: psycopg.Connection[Any], chunk: int = 5000, *,
                 source_file_id: int | None = None) -> list[ProfileRange]:
    """The stale profiles (with no card, or a card built from older content; of one source
    file's changes, when given) as runs of `chunk` ids in id order. Only the ids are read,
    through a server-side cursor: call inside the caller's transaction."""
    ranges = []
    with conn.cursor(name="sxp_stale_profile_ids", row_factory=tuple_row) as cur:
        cur.itersize = chunk
        cur.execute(query("cards", "stale_profile_ids"), {"source_file_id": source_file_id})
        while rows := cur.fetchmany(chunk):
            ranges.append(ProfileRange(source_file_id, rows[0][0], rows[-1][0], len(rows)))
    return ranges


def read_stale_profiles(conn: psycopg.Connection[Any], part: ProfileRange, *,
                        snapshot: str | None = None) -> list[tuple[Any, ...]]:
    """The stale profiles of `part` as tuples of the fields of `ProfileSignals`, in their
    order (`SIGNAL_FIELDS`; smaller to read and hand on than dicts): in the caller's
    transaction, or with `snapshot` in one of its own that sees what the step's transaction
    saw when it exported it (`snapshots.export_snapshot`)."""
    params = {"source_file_id": part.source_file_id, "first_id": part.first_id,
              "last_id": part.last_id}
    if snapshot is None:
        return _stale_profiles(conn, params)
    with reading_as(conn, snapshot):
        return _stale_profiles(conn, params)


def _stale_profiles(conn: psycopg.Connection[Any],
                    params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with conn.cursor(row_factory=tuple_row) as cur:
        return cur.execute(query("cards", "stale_profiles"), params).fetchall()


def _count(conn: psycopg.Connection[Any], statement: LiteralString,
           params: dict[str, Any]) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) AS n FROM ({}) q").format(sql.SQL(statement)),
                       params).fetchone()
    return int(row["n"]) if row else 0


def card_count_estimate(conn: psycopg.Connection[Any]) -> int:
    """How many cards the planner believes lead_cards holds (0 before its first ANALYZE)."""
    row = conn.execute("SELECT greatest(reltuples, 0)::bigint AS n FROM pg_class"
                       " WHERE oid = 'execution.lead_cards'::regclass").fetchone()
    return int(row["n"]) if row else 0


def refresh_card_statistics(conn: psycopg.Connection[Any]) -> None:
    """ANALYZE lead_cards (migration 088: the step's role may, through one function)."""
    conn.execute("SELECT execution.refresh_card_statistics()")


def transaction_time(conn: psycopg.Connection[Any]) -> str:
    """The caller's transaction time (`now()`) as its session writes it: the cards step's
    workers put it in COPY rows as the time the cards were labeled, and the session reads it
    back as the same instant."""
    row = conn.execute("SELECT now()::text AS now").fetchone()
    assert row is not None
    return str(row["now"])


def start_card_copy(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        # keep the key: without it the cards step at 1M took 95 s instead of 51 (Postgres 86 s
        # instead of 31: the chunk's joins to a growing lead_cards planned worse; bench/pipeline)
        "CREATE TEMP TABLE IF NOT EXISTS tmp_cards (profile_id bigint PRIMARY KEY,"
        " platform text, handle text, profile_hash text, readiness text,"
        " readiness_score numeric(5, 4), base_confidence numeric(5, 4), signals jsonb,"
        " signal_components json,"
        " enrich_inputs jsonb, persona text, tribe text, audience_pool text,"
        " execution_label text, ruleset_version text, rules_fired jsonb, labeled_hash text,"
        " labeled_at timestamptz, enrich_state text, enrich_reason text) ON COMMIT DROP")


# the order `card_copy_rows` writes a row's values in: each card's eight free texts together
# (checked for escapes at once), after the numbers and the ruleset's few values, and the
# step's few values last; these are lead_cards' columns as well as tmp_cards'
_CARD_COLUMNS = ("profile_id, readiness_score, base_confidence, persona, tribe, audience_pool,"
                 " execution_label, ruleset_version, platform, handle, profile_hash, readiness,"
                 " signals, signal_components, enrich_inputs, rules_fired, labeled_hash,"
                 " labeled_at, enrich_state, enrich_reason")
# COPY's text format: a backslash, a tab, a newline or a carriage return in a value is escaped
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]").search
_NEEDS_ESCAPE_BUT_TAB = re.compile(r"[\\\n\r]").search


def _copy_field(value: object) -> str:
    if value is None:
        return "\\N"
    if not isinstance(value, str):  # a number's digits need no escaping
        return str(value)
    return value.translate(_COPY_ESCAPES) if _NEEDS_ESCAPE(value) else value


def card_copy_rows(cards: Iterable[BuiltCard], ruleset_version: str, labeled_at: str) -> bytes:
    """Cards scored and labeled under `ruleset_version` at `labeled_at` (`transaction_time`)
    as rows of `_CARD_COLUMNS` in COPY's text format (pure: worker processes encode them;
    `copy_new_cards` and `copy_card_rows` send them).

    Each value is escaped as `_copy_field` escapes it. A card's text values are checked
    together (joined by tabs: a clean join has exactly its own tabs and none of the other
    characters), and escaped one by one only when the check finds something; labels, the
    version and the decisions are few values, escaped once each."""
    lines = []
    label_texts: dict[tuple[str | None, ...], str] = {}  # the ruleset's few label tuples
    decision_texts: dict[tuple[str, str | None], str] = {}  # and the gate's few decisions
    scores_text: dict[float, str] = {}  # 4-decimal scores: few values, each written once
    version = _copy_field(ruleset_version)
    labeled_at = _copy_field(labeled_at)
    dumps = orjson.dumps
    for profile, scores, labeling, decision in cards:
        facts, components = split_signals(scores.signals)
        texts: tuple[str, ...] = (
            profile.platform, profile.handle, profile.content_hash, scores.readiness,
            dumps(facts).decode(), dumps(components).decode(),
            dumps(scores.enrich_inputs).decode(), dumps(labeling.rules_fired).decode())
        joined = "\t".join(texts)
        content_hash = profile.content_hash
        if joined.count("\t") != 7 or _NEEDS_ESCAPE_BUT_TAB(joined):
            texts = tuple(map(_copy_field, texts))
            joined, content_hash = "\t".join(texts), texts[2]
        labels = labeling.labels
        key = (labels.get("persona"), labels.get("tribe"), labels.get("audience_pool"),
               labels.get("execution_label"))
        label_text = label_texts.get(key)
        if label_text is None:
            label_text = label_texts[key] = "\t".join(map(_copy_field, key))
        decision_text = decision_texts.get(decision)
        if decision_text is None:
            decision_text = decision_texts[decision] = "\t".join(
                (labeled_at, *map(_copy_field, decision)))
        readiness_score = scores_text.get(scores.readiness_score)
        if readiness_score is None:
            readiness_score = scores_text[scores.readiness_score] = str(scores.readiness_score)
        confidence = scores_text.get(scores.base_confidence)
        if confidence is None:
            confidence = scores_text[scores.base_confidence] = str(scores.base_confidence)
        lines.append(f"{profile.profile_id}\t{readiness_score}\t{confidence}\t{label_text}"
                     f"\t{version}\t{joined}\t{content_hash}@{version}\t{decision_text}")
    return ("\n".join(lines) + "\n").encode() if lines else b""


def copy_new_cards(conn: psycopg.Connection[Any], rows: bytes) -> int:
    """`card_copy_rows`' bytes of profiles that have no card, straight into lead_cards (no
    temporary table, no conflict check: a third less of Postgres' time per card than
    `apply_card_copy`). A card built meanwhile by another step raises UniqueViolation: call
    it in a savepoint, and send those rows through `copy_card_rows` instead. Returns cards
    written."""
    with conn.cursor() as cur:
        with cur.copy(f"COPY execution.lead_cards ({_CARD_COLUMNS}) FROM STDIN") as copy:
            copy.write(rows)
        return max(cur.rowcount, 0)


def copy_card_rows(conn: psycopg.Connection[Any], rows: bytes) -> None:
    """`card_copy_rows`' bytes into tmp_cards, in place of the chunk applied before."""
    conn.execute("TRUNCATE tmp_cards")
    with conn.cursor().copy(f"COPY tmp_cards ({_CARD_COLUMNS}) FROM STDIN") as copy:
        copy.write(rows)


def apply_card_copy(conn: psycopg.Connection[Any], *, reenrich_on_input_change: bool,
                    reenrich_min_age_s: float) -> int:
    """Insert new cards and refresh changed ones from tmp_cards, each with the gate decision
    it was encoded with; a changed card that was refused or waiting, or that the
    re-enrichment rule reopens, goes back to the gate with it. Returns cards written."""
    params = {"on_input_change": reenrich_on_input_change, "min_age_s": reenrich_min_age_s}
    return int(conn.execute(query("cards", "upsert_cards"), params).rowcount)


# -- label ---------------------------------------------------------------------------------

def iter_unlabeled(conn: psycopg.Connection[Any], ruleset_version: str, chunk: int = 5000, *,
                   source_file_id: int | None = None) -> Iterator[list[dict[str, Any]]]:
    """Cards whose labels are missing or stale (profile changed, or a ruleset version whose
    pass has not compared them), with the labels they have now; with `source_file_id`, only
    the cards of the profiles that file changed."""
    with conn.cursor(name="sxp_unlabeled") as cur:
        cur.itersize = chunk
        cur.execute(query("cards", "unlabeled"), {"version": ruleset_version,
                                                  "source_file_id": source_file_id})
        while rows := cur.fetchmany(chunk):
            yield rows


def count_unlabeled(conn: psycopg.Connection[Any], ruleset_version: str, *,
                    source_file_id: int | None = None) -> int:
    """How many cards `iter_unlabeled` will give (a progress total)."""
    return _count(conn, query("cards", "unlabeled"), {"version": ruleset_version,
                                                      "source_file_id": source_file_id})


def iter_label_pool(conn: psycopg.Connection[Any], chunk: int = 5000
                    ) -> Iterator[list[dict[str, Any]]]:
    """Every card: the facts the rules see, its labels and enrichment state now. Server-side
    cursor: call inside the caller's transaction."""
    with conn.cursor(name="sxp_label_pool") as cur:
        cur.itersize = chunk
        cur.execute(query("cards", "label_pool"))
        while rows := cur.fetchmany(chunk):
            yield rows


def start_label_copy(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS tmp_labels (card_id bigint PRIMARY KEY,"
        " persona text, tribe text, audience_pool text, execution_label text,"
        " rules_fired jsonb, labeled_hash text) ON COMMIT DROP")


def copy_labels(conn: psycopg.Connection[Any], rows: Iterable[tuple[Any, ...]]) -> None:
    with conn.cursor().copy(
            "COPY tmp_labels (card_id, persona, tribe, audience_pool, execution_label,"
            " rules_fired, labeled_hash) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def has_label_pass(conn: psycopg.Connection[Any], ruleset_version: str) -> bool:
    """Whether a pass under this version has compared every card."""
    row = conn.execute("SELECT 1 FROM execution.label_passes WHERE ruleset_version = %s",
                       (ruleset_version,)).fetchone()
    return row is not None


def record_label_pass(conn: psycopg.Connection[Any], ruleset_version: str) -> None:
    """Every card is now compared under this version (in the caller's transaction)."""
    conn.execute(query("cards", "record_label_pass"), {"version": ruleset_version})


def apply_label_copy(conn: psycopg.Connection[Any], ruleset_version: str) -> int:
    """Store new labels. A relabeled card the gate had refused (and that was not exported yet)
    goes back to `new` so the next gate decides again; queued or enriched cards keep their state.
    """
    conn.execute(query("cards", "lock_labeled"))
    return conn.execute(query("cards", "apply_labels"), (ruleset_version,)).rowcount


# -- gate ----------------------------------------------------------------------------------

def reopen_stale_dnc(conn: psycopg.Connection[Any], enrichable_labels: list[str],
                     max_age_s: float) -> int:
    """Send enriched cards whose phones' DNC status is older than `max_age_s` back to the gate
    (a re-check). The number reopened."""
    return conn.execute(query("cards", "reopen_stale_dnc"),
                        {"labels": enrichable_labels, "max_age_s": max_age_s}).rowcount


def has_stale_dnc(conn: psycopg.Connection[Any], enrichable_labels: list[str],
                  max_age_s: float) -> bool:
    """Enriched cards of an enrichable label whose phones' DNC status has gone stale."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM execution.lead_cards WHERE enrich_state = 'enriched'"
        " AND execution_label = ANY(%s::text[]) AND phones_checked_at < now()"
        " - make_interval(secs => %s)) AS stale", (enrichable_labels, max_age_s)).fetchone()
    return bool(row and row["stale"])
