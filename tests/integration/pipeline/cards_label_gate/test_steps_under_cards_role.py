"""The cards, label and gate steps run with the grants of the sxp_cards service role."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sxp.adapters.postgres.queue import claim
from sxp.bootstrap import App, bootstrap
from sxp.config import Settings
from sxp.pipeline import jobs

from .conftest import ProfileMaker


@pytest.fixture
def cards_role_app(settings: Settings) -> Iterator[App]:
    made = bootstrap(settings.model_copy(update={"db_role": "sxp_cards"}))
    yield made
    made.close()


def test_cards_label_gate_chain_as_sxp_cards(app: App, cards_role_app: App,
                                            make_profiles: ProfileMaker) -> None:
    make_profiles(30)
    with cards_role_app.connect() as conn:
        conn.execute("INSERT INTO queue.jobs (kind, payload) VALUES ('cards', '{}')")
        conn.commit()
    ran = []
    with cards_role_app.connect() as conn:
        while (job := claim(conn, "test-worker", kinds=["cards", "label", "gate"])) is not None:
            jobs.handler_for(job.kind)(cards_role_app, job)
            ran.append(job.kind)
    assert ran == ["cards", "label", "gate"]
    with app.connect() as conn:
        states = conn.execute("SELECT enrich_state AS s, count(*) AS n FROM execution.lead_cards"
                              " GROUP BY 1").fetchall()
        pending = conn.execute("SELECT kind FROM queue.jobs WHERE state = 'todo' ORDER BY kind"
                               ).fetchall()
        done = conn.execute("SELECT count(*) AS n FROM queue.jobs WHERE state = 'done'").fetchone()
    assert {r["s"]: r["n"] for r in states} == {"queued": 30}
    assert [r["kind"] for r in pending] == ["enrich", "export"]
    assert done == {"n": 3}
