"""The queue transport against a real Valkey server: the event on a stream, read back with a
consumer group; a replayed or re-run delivery adds nothing and keeps its stream id."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import valkey
from pydantic import SecretStr

from sxp.bootstrap import App, bootstrap
from sxp.pipeline import consumers as use
from sxp.pipeline import deliver as deliver_step
from sxp.pipeline import export as export_step
from sxp.pipeline.runner import drain

Seed = Callable[..., list[int]]
STREAM = "test:sxp:batches"


def test_batches_reach_the_stream_once_and_a_group_reads_them(
        handoff_app: App, seed: Seed, valkey_url: str) -> None:
    use.add_consumer(handoff_app, name="streamer", transport="queue",
                     settings={"stream": STREAM, "maxlen": 1000})
    seed(2)
    (first,) = [r for r in export_step.export(handoff_app) if r.consumer == "streamer"]
    seed(1, 5)
    (second,) = [r for r in export_step.export(handoff_app) if r.consumer == "streamer"]
    drain(handoff_app, max_idle_wait_s=5)

    client = valkey.Valkey.from_url(valkey_url)
    client.xgroup_create(STREAM, "platform", id="0")
    ((_, entries),) = client.xreadgroup("platform", "reader-1", {STREAM: ">"}, count=10)
    events = [orjson.loads(fields[b"payload"]) for _, fields in entries]
    assert [e["data"]["batch_id"] for e in events] == [first.batch_id, second.batch_id]
    assert [e["data"]["sequence"] for e in events] == [1, 2]
    assert events[1]["data"]["previous_batch_id"] == first.batch_id
    assert [fields[b"event_id"].decode() for _, fields in entries] == [
        f"msg_{first.batch_id}", f"msg_{second.batch_id}"]
    client.xack(STREAM, "platform", *[entry_id for entry_id, _ in entries])

    (delivery,) = [d for d in use.list_deliveries(handoff_app, consumer_name="streamer")
                   if d.batch_id == first.batch_id]
    assert delivery.state == "delivered" and delivery.stream_id == entries[0][0].decode()
    use.replay(handoff_app, delivery.id)
    drain(handoff_app, max_idle_wait_s=5)
    assert deliver_step.deliver(handoff_app, delivery.id) == "delivered"
    assert client.xlen(STREAM) == 2  # the replay found its entry: nothing added
    (again,) = [d for d in use.list_deliveries(handoff_app, consumer_name="streamer")
                if d.batch_id == first.batch_id]
    assert again.stream_id == delivery.stream_id and again.attempts == 1
    client.close()


def test_an_unreachable_valkey_is_retried_and_then_delivers(
        handoff_app: App, seed: Seed, valkey_url: str) -> None:
    use.add_consumer(handoff_app, name="streamer", transport="queue", settings={"stream": STREAM})
    seed(1)
    (batch,) = [r for r in export_step.export(handoff_app) if r.consumer == "streamer"]
    down = bootstrap(handoff_app.settings.model_copy(update={  # a deliverer whose server is down
        "valkey_url": SecretStr("redis://127.0.0.1:9/0")}))
    try:
        assert deliver_step.deliver(down, batch.delivery_id) == "pending"
    finally:
        down.close()
    drain(handoff_app, max_idle_wait_s=5)
    client = valkey.Valkey.from_url(valkey_url)
    assert client.xlen(STREAM) == 1
    client.close()
    (delivery,) = use.list_deliveries(handoff_app, consumer_name="streamer")
    assert delivery.state == "delivered" and delivery.attempts == 2
