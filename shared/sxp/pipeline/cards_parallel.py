"""Score and label the cards step's profiles on both cores.

Scoring (`score_card`) and labeling (the rules file) are pure Python per profile and take
most of the step's time, so a large step hands chunks of profile rows to worker processes
(the ingest parsers' forkserver, `ingest_parallel.parser_context`) and gets the chunks back
in order; the database work stays in the step's own process. Small steps (a drop of a few
thousand) score in process: starting workers would cost more than it saves. Either way the
results are the same, in the same order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from multiprocessing.pool import AsyncResult
from typing import Any

from sxp.domain.cards import CardScores, ProfileSignals, score_card, scored_facts
from sxp.domain.rules import Labeling, Ruleset
from sxp.domain.rules import label as apply_rules

ScoredCard = tuple[ProfileSignals, CardScores, Labeling]
ProfileRows = list[dict[str, Any]]
Scorer = Callable[[Iterable[ProfileRows]], Iterator[list[ScoredCard]]]
MIN_PARALLEL_PROFILES = 40_000

_worker_ruleset: Ruleset | None = None


def score_rows(ruleset: Ruleset, rows: ProfileRows) -> list[ScoredCard]:
    """Each stale profile row as its card: the profile, its scores, its labels."""
    out = []
    for row in rows:
        profile = ProfileSignals(**row)
        scores = score_card(profile)
        out.append((profile, scores, apply_rules(ruleset, scored_facts(profile, scores))))
    return out


def _start_worker(ruleset: Ruleset) -> None:
    global _worker_ruleset
    _worker_ruleset = ruleset


def _score_in_worker(rows: ProfileRows) -> list[ScoredCard]:
    assert _worker_ruleset is not None, "worker started without its ruleset"
    return score_rows(_worker_ruleset, rows)


def worker_count(profiles: int) -> int:
    """Worker processes for a step of `profiles` (0: score in this process)."""
    from sxp.pipeline.ingest_parallel import worker_count as cores

    return cores() if profiles >= MIN_PARALLEL_PROFILES and cores() > 1 else 0


@contextmanager
def card_scorer(ruleset: Ruleset, workers: int) -> Iterator[Scorer]:
    """A function from chunks of profile rows to chunks of scored cards, in order: on
    `workers` processes, or in this one when 0. The chunks are read on the caller's thread,
    a few ahead of the one it gets back (so one connection serves the reads and the writes,
    and memory holds a few chunks, never the step)."""
    if workers == 0:
        def in_process(chunks: Iterable[ProfileRows]) -> Iterator[list[ScoredCard]]:
            return (score_rows(ruleset, rows) for rows in chunks)

        yield in_process
        return
    from sxp.pipeline.ingest_parallel import parser_context

    pool = parser_context().Pool(workers, initializer=_start_worker, initargs=(ruleset,))
    try:
        def on_workers(chunks: Iterable[ProfileRows]) -> Iterator[list[ScoredCard]]:
            pending: deque[AsyncResult[list[ScoredCard]]] = deque()
            for rows in chunks:
                pending.append(pool.apply_async(_score_in_worker, (rows,)))
                if len(pending) > workers:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()

        yield on_workers
    finally:
        pool.terminate()
        pool.join()
