"""Read, score, label and encode the cards step's profiles on both cores.

Scoring (`score_card`) and labeling (the rules file) are pure Python per profile and take
most of the step's time, so a large step hands runs of stale profiles (`cards.ProfileRange`)
to worker processes (the ingest parsers' forkserver, `ingest_parallel.parser_context`) and
gets the chunks back in order. A worker reads its run's profiles itself, on its own
connection (the step's role) in a transaction that takes the step's snapshot, so it sees them
exactly as the step does; the step's process fetching and pickling a million rows across cost
it as much as the upsert. A worker returns each chunk as the step writes it, so only bytes
come back (`worker_pool`): the cards of profiles that had none (the step copies them straight
into lead_cards) apart from those refreshed (upserted through `tmp_cards`), both as COPY
text rows, and the staged lines as a gzip member. Each card carries the gate's decision
under the step's basis (`CardBuild`, `gate.built_decision`), so Postgres computes none of it.
Small steps (a drop of a few thousand) read and score in process:
starting workers would cost more than it saves. Either way the bytes are the same, in the
same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg
from isal import igzip

from sxp.adapters.postgres import cards as repo
from sxp.adapters.postgres.cards import FRESH, BuiltCard, ProfileRange, card_copy_rows
from sxp.adapters.postgres.connection import process_connection
from sxp.adapters.postgres.snapshots import export_snapshot
from sxp.domain.cards import CardScores, ProfileSignals, score_card, scored_facts
from sxp.domain.enrichability import person_name
from sxp.domain.gate import built_decision
from sxp.domain.rule_compiler import compile_ruleset
from sxp.domain.rules import GatePolicy, Labeling, Ruleset
from sxp.native import card_copy_rows as native_copy_rows
from sxp.native import card_numbers
from sxp.native import person_name as native_person_name
from sxp.pipeline import worker_pool

ScoredCard = tuple[ProfileSignals, CardScores, Labeling]
ProfileRows = list[tuple[Any, ...]]  # each in `SIGNAL_FIELDS` order
StaleRows = list[tuple[Any, ...]]  # each as `ProfileRows`' then whether it has a card (as read)
MIN_PARALLEL_PROFILES = 40_000
CARDS_STAGE_VERSION = "sxp.lead_card_stage.v1"
STAGE_GZIP_LEVEL = 1  # ISA-L's (igzip): as small as zlib's level 1, four times as fast


@dataclass(frozen=True)
class CardChunk:
    """One chunk of cards as the step writes them."""

    count: int
    new_cards: bytes  # cards of profiles that had none, `card_copy_rows`' COPY text format
    changed_cards: bytes  # cards refreshed, the same format
    staged: bytes  # the staged JSONL lines, one gzip member (members concatenate to one file)


Scorer = Callable[[Iterable[ProfileRange]], Iterator[CardChunk]]


@dataclass(frozen=True)
class ProfileSource:
    """Where the stale profiles are read: the step's connection (in its transaction), and
    what a worker needs to read them as it does (the database, the role)."""

    conn: psycopg.Connection[Any]
    database_uri: str = field(repr=False)
    role: str | None


@dataclass(frozen=True)
class CardBuild:
    """What one step writes every card with: the time it labels them (its transaction's,
    `cards.transaction_time`), and the gate policy and provider chain its cards are decided
    under (none: the gate's basis is another, and the cards are left `FRESH` for a pass)."""

    labeled_at: str
    gate: GatePolicy | None = None
    providers: tuple[str, ...] = ()

    def decision(self, scores: CardScores, labeling: Labeling) -> tuple[str, str | None]:
        if self.gate is None:
            return FRESH
        return built_decision(labeling.labels.get("execution_label"), scores.readiness_score,
                              scores.base_confidence, scores.enrich_inputs, self.gate,
                              self.providers)


class CardEncoder:
    """Scores (a card's numbers and person name in C where built, `sxp.native.card_numbers`
    and `person_name`), labels (the rules file compiled once, `rule_compiler`), decides and
    encodes chunks (their COPY rows in C where built, `sxp.native.card_copy_rows`)."""

    def __init__(self, ruleset: Ruleset, build: CardBuild) -> None:
        self.ruleset, self.build = ruleset, build
        self._label = compile_ruleset(ruleset)
        self._numbers = card_numbers()
        self._name_of = native_person_name() or person_name
        self._copy_rows = native_copy_rows() or card_copy_rows

    def score(self, rows: ProfileRows) -> list[ScoredCard]:
        """Each stale profile row as its card: the profile, its scores, its labels."""
        out = []
        numbers, name_of = self._numbers, self._name_of
        for row in rows:
            profile = ProfileSignals.from_row(row)
            scores = score_card(profile, numbers, name_of)
            out.append((profile, scores, self._label(scored_facts(profile, scores))))
        return out

    def encode(self, rows: StaleRows) -> CardChunk:
        """The chunk's cards as the step writes them."""
        cards = self.score([row[:-1] for row in rows])
        decision = self.build.decision
        new: list[BuiltCard] = []
        changed: list[BuiltCard] = []
        for row, (profile, scores, labeling) in zip(rows, cards, strict=True):
            (changed if row[-1] else new).append(
                (profile, scores, labeling, decision(scores, labeling)))
        staged = igzip.compress(b"".join(_stage_lines(cards)), STAGE_GZIP_LEVEL, mtime=0)
        version, labeled_at = self.ruleset.version, self.build.labeled_at
        copy_rows = self._copy_rows
        return CardChunk(len(cards), copy_rows(new, version, labeled_at),
                         copy_rows(changed, version, labeled_at), staged)


def score_rows(ruleset: Ruleset, rows: ProfileRows) -> list[ScoredCard]:
    """Each stale profile row as its card, under `ruleset`."""
    return CardEncoder(ruleset, CardBuild("")).score(rows)


def _stage_lines(cards: list[ScoredCard]) -> Iterator[bytes]:
    for profile, scores, _labels in cards:
        yield orjson.dumps({
            "schema": CARDS_STAGE_VERSION, "profile_id": profile.profile_id,
            "platform": profile.platform, "handle": profile.handle,
            "profile_hash": profile.content_hash, "readiness": scores.readiness,
            "readiness_score": scores.readiness_score,
            "base_confidence": scores.base_confidence, "signals": scores.signals,
            "enrich_inputs": scores.enrich_inputs,
        }) + b"\n"


@dataclass(frozen=True)
class _WorkerSetup:
    """What a worker scores and reads with (handed over once, as the worker starts)."""

    ruleset: Ruleset
    build: CardBuild
    database_uri: str = field(repr=False)
    role: str | None
    snapshot: str


_worker_setup: _WorkerSetup | None = None
_worker_encoder: CardEncoder | None = None


def _start_worker(setup: _WorkerSetup) -> None:
    global _worker_setup, _worker_encoder
    _worker_setup, _worker_encoder = setup, CardEncoder(setup.ruleset, setup.build)


def _encode_in_worker(part: ProfileRange) -> CardChunk:
    setup, encoder = _worker_setup, _worker_encoder
    assert setup is not None and encoder is not None, "worker started without its setup"
    conn = process_connection(setup.database_uri, setup.role)
    with worker_pool.collection_paused():
        rows = repo.read_stale_profiles(conn, part, snapshot=setup.snapshot)
        return encoder.encode(rows)


def worker_count(profiles: int) -> int:
    """Worker processes for a step of `profiles` (0: read and score in this process)."""
    return worker_pool.worker_count(profiles, MIN_PARALLEL_PROFILES)


@contextmanager
def card_scorer(ruleset: Ruleset, build: CardBuild, source: ProfileSource,
                workers: int) -> Iterator[Scorer]:
    """A function from runs of stale profiles (read in the step's transaction on
    `source.conn`) to their cards encoded as `build` says, in order: on `workers` processes,
    or in this one when 0."""
    if workers == 0:
        encoder = CardEncoder(ruleset, build)

        def in_process(parts: Iterable[ProfileRange]) -> Iterator[CardChunk]:
            return (encoder.encode(repo.read_stale_profiles(source.conn, part))
                    for part in parts)

        yield in_process
        return
    setup = _WorkerSetup(ruleset, build, source.database_uri, source.role,
                         export_snapshot(source.conn))
    with worker_pool.worker_pool(workers, _start_worker, (setup,)) as pool:
        def on_workers(parts: Iterable[ProfileRange]) -> Iterator[CardChunk]:
            return worker_pool.map_in_order(pool, _encode_in_worker, parts, workers)

        yield on_workers
