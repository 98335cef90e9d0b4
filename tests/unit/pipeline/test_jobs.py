"""Job kinds, their payload models and the lease check a step makes."""

from __future__ import annotations

import threading

import pytest

from sxp.adapters.postgres.queue import Job
from sxp.errors import (
    ConfigError,
    FileUnreadable,
    JobPayloadInvalid,
    LeaseLost,
    ProviderFatal,
    ProviderRetryable,
    StoreError,
    UnknownJobKind,
)
from sxp.pipeline.jobs import (
    JOB_KINDS,
    EnrichPayload,
    IngestPayload,
    check_lease,
    handler_for,
    payload_of,
    set_lease_lost_event,
)


def _job(payload: dict[str, object]) -> Job:
    return Job(7, "ingest", payload, 1, 5, "w")


def test_payload_of_checks_the_shape_and_names_the_fields() -> None:
    assert payload_of(_job({"source_file_id": 3}), IngestPayload).source_file_id == 3
    expected = r"ingest job 7: bad payload fields \['source_file_id'\]"
    with pytest.raises(JobPayloadInvalid, match=expected):
        payload_of(_job({}), IngestPayload)
    with pytest.raises(JobPayloadInvalid, match="extra"):
        payload_of(_job({"batch_id": "eb-1", "extra": 1}), EnrichPayload)


def test_every_kind_has_a_handler_and_an_unknown_kind_is_a_config_error() -> None:
    for kind in JOB_KINDS:
        assert callable(handler_for(kind))
    with pytest.raises(UnknownJobKind, match="'nope'"):
        handler_for("nope")


def test_check_lease_raises_once_the_lease_is_lost() -> None:
    lost = threading.Event()
    set_lease_lost_event(lost)
    try:
        check_lease()
        lost.set()
        with pytest.raises(LeaseLost):
            check_lease()
    finally:
        set_lease_lost_event(None)
    check_lease()  # outside a job: nothing to check


@pytest.mark.parametrize(("error", "retryable"), [
    (StoreError("503"), True), (StoreError("bad", "bad_key"), False),
    (ProviderRetryable("429"), True), (ProviderFatal("401"), False),
    (FileUnreadable("gzip"), False), (ConfigError("no key"), False),
    (JobPayloadInvalid("shape"), False), (UnknownJobKind("kind"), False),
])
def test_the_hierarchy_says_what_is_retried(error: Exception, retryable: bool) -> None:
    assert error.retryable is retryable
