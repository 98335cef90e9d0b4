"""`sxp verify-bundle`: check a Lead Card Batch against its manifest.

Checks the manifest against the v1 model, then for every file its sha256 and size, its
record count, and every line against its model: records against `LeadCardRecord` v1 (the
source of `contracts/lead_card_batch.v1.schema.json`), `versions.jsonl` lines against
`CardVersion`, `handoff.json` against `HandoffInfo`. Totals and per-label counts must add up,
and the versions must name exactly the batch's records. Given the consumer's previous
manifest, the chain is checked too (previous batch id, its manifest sha256, sequence + 1).
Raises `BundleInvalid` listing every problem found.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

from sxp.adapters.bundle_files import HashingReader, iter_lines
from sxp.adapters.objectstore.base import ObjectStore
from sxp.bootstrap import App
from sxp.domain.bundle import (
    LeadCardRecord,
    Manifest,
    ManifestFile,
    describe_validation_error,
)
from sxp.domain.handoff import (
    DNC_FILE,
    HANDOFF_FILE,
    VERSIONS_FILE,
    CardVersion,
    DncStatus,
    HandoffInfo,
)
from sxp.errors import BundleInvalid, ConfigError, StoreError

MAX_LISTED_RECORD_PROBLEMS = 20
M = TypeVar("M", bound=BaseModel)
Opener = Callable[[str], IO[bytes]]  # relative path in the bundle -> binary stream


@dataclass(frozen=True)
class VerifyReport:
    manifest_ref: str
    batch_id: str
    record_count: int
    files_checked: int
    counts_by_execution_label: dict[str, int]
    ok: bool = True

    def __str__(self) -> str:
        return (f"ok: batch {self.batch_id} — {self.record_count} record(s) in "
                f"{self.files_checked} file(s); sha256, sizes, counts and schema verified")


@dataclass
class _Seen:
    """What the files of one bundle hold, gathered while they are checked."""

    labels: Counter[str] = field(default_factory=Counter)
    record_ids: list[int] = field(default_factory=list)
    versions: list[CardVersion] = field(default_factory=list)
    dnc: list[DncStatus] = field(default_factory=list)
    handoff: HandoffInfo | None = None


def verify_bundle(app_or_store: App | ObjectStore | None, manifest_ref: str,
                  previous_ref: str | None = None) -> VerifyReport:
    """Verify the bundle whose manifest is at a local path or an `s3://bucket/key` URL (and
    its link to the consumer's previous batch, when that manifest is given)."""
    open_file, manifest_name = _opener(app_or_store, manifest_ref)
    manifest, raw_manifest = _read_manifest(open_file, manifest_name, manifest_ref)
    problems: list[str] = []
    seen = _Seen()
    total = 0
    for entry in manifest.files:
        total += _check_file(open_file, entry, seen, problems)
    _check_sidecars(manifest, seen, problems)
    if previous_ref is not None:
        _check_chain(app_or_store, seen.handoff, previous_ref, problems)
    labels = seen.labels
    if total != manifest.record_count:
        problems.append(f"manifest record_count {manifest.record_count} but files hold {total}")
    if dict(labels) != {k: v for k, v in manifest.counts_by_execution_label.items() if v}:
        problems.append(f"counts_by_execution_label {manifest.counts_by_execution_label} "
                        f"but records give {dict(sorted(labels.items()))}")
    if problems:
        raise BundleInvalid(f"{manifest_ref}: bundle {manifest.batch_id} is invalid: "
                            + "; ".join(problems))
    return VerifyReport(manifest_ref, manifest.batch_id, total, len(manifest.files),
                        dict(manifest.counts_by_execution_label))


def _read_manifest(open_file: Opener, name: str, ref: str) -> tuple[Manifest, bytes]:
    try:
        with open_file(name) as fh:
            raw: bytes = fh.read()
    except (OSError, StoreError) as exc:
        raise BundleInvalid(f"{ref}: manifest cannot be read: {exc}",
                            "manifest_missing") from exc
    try:
        return Manifest.model_validate_json(raw), raw
    except ValidationError as exc:
        raise BundleInvalid(f"{ref}: manifest does not match lead_card_batch.v1: "
                            f"{describe_validation_error(exc)}", "manifest_invalid") from exc


def _check_sidecars(manifest: Manifest, seen: _Seen, problems: list[str]) -> None:
    """The sidecars agree with the records (bundles written before them have none)."""
    if seen.handoff is not None:
        info = seen.handoff
        if info.batch_id != manifest.batch_id:
            problems.append(f"{HANDOFF_FILE}: batch {info.batch_id}, manifest says "
                            f"{manifest.batch_id}")
        if info.record_count != manifest.record_count:
            problems.append(f"{HANDOFF_FILE}: record_count {info.record_count}, manifest says "
                            f"{manifest.record_count}")
    if not seen.versions and seen.handoff is None:
        return
    recorded = sorted(v.card_id for v in seen.versions if v.action == "record")
    if recorded != sorted(seen.record_ids):
        problems.append(f"{VERSIONS_FILE}: its records are not the batch's records")
    if not {d.card_id for d in seen.dnc} <= set(seen.record_ids):
        problems.append(f"{DNC_FILE}: names cards that are not among the batch's records")
    withdrawn = sum(v.action == "withdrawal" for v in seen.versions)
    if seen.handoff is not None and withdrawn != seen.handoff.withdrawal_count:
        problems.append(f"{VERSIONS_FILE}: {withdrawn} withdrawal(s), {HANDOFF_FILE} says "
                        f"{seen.handoff.withdrawal_count}")


def _check_chain(source: App | ObjectStore | None, info: HandoffInfo | None,
                 previous_ref: str, problems: list[str]) -> None:
    """This batch follows the previous one of its consumer."""
    if info is None:
        problems.append(f"no {HANDOFF_FILE}: the bundle cannot be chained")
        return
    open_file, name = _opener(source, previous_ref)
    previous, raw = _read_manifest(open_file, name, previous_ref)
    if info.previous_batch_id != previous.batch_id:
        problems.append(f"chain: previous batch is {info.previous_batch_id}, the given "
                        f"manifest is {previous.batch_id}")
    if info.previous_manifest_sha256 != hashlib.sha256(raw).hexdigest():
        problems.append("chain: the previous manifest's sha256 does not match")
    try:
        with open_file(HANDOFF_FILE) as fh:
            before = HandoffInfo.model_validate_json(fh.read())
    except (OSError, StoreError, ValidationError):
        return  # a batch written before handoff files: its sequence is not known
    if (before.consumer, before.sequence + 1) != (info.consumer, info.sequence):
        problems.append(f"chain: sequence {info.sequence} of {info.consumer} does not follow "
                        f"{before.sequence} of {before.consumer}")


def _check_file(open_file: Opener, entry: ManifestFile, seen: _Seen,
                problems: list[str]) -> int:
    """Checksum, size and line count of one file; its lines checked by kind. The number of
    Lead Card records it holds."""
    if entry.path.startswith("/") or ".." in entry.path.split("/"):
        problems.append(f"{entry.path}: path leaves the bundle folder")
        return 0
    try:
        stream = open_file(entry.path)
    except (OSError, StoreError):
        problems.append(f"{entry.path}: file missing")
        return 0
    check = _line_checker(entry.path, seen)
    count, bad = 0, 0
    with stream:
        hashing = HashingReader(stream)
        try:
            if entry.path == HANDOFF_FILE:
                count, bad = 1, _check_handoff(hashing.read(), seen, problems)
            for number, line in enumerate(iter_lines(hashing, entry.compression), start=1):
                count += 1
                bad += check(entry.path, number, line, problems, bad)
        except (OSError, EOFError, ValueError) as exc:
            problems.append(f"{entry.path}: cannot be decompressed or read: {exc}")
        hashing.drain()
    if bad > MAX_LISTED_RECORD_PROBLEMS:
        problems.append(f"{entry.path}: {bad} invalid record(s) in total")
    if hashing.digest.hexdigest() != entry.sha256:
        problems.append(f"{entry.path}: sha256 mismatch (manifest {entry.sha256[:12]}…, "
                        f"file {hashing.digest.hexdigest()[:12]}…)")
    if hashing.size != entry.size_bytes:
        problems.append(f"{entry.path}: size {hashing.size} bytes, manifest says "
                        f"{entry.size_bytes}")
    if count != entry.record_count:
        problems.append(f"{entry.path}: {count} record(s), manifest says {entry.record_count}")
    return 0 if entry.path in (HANDOFF_FILE, VERSIONS_FILE, DNC_FILE) else count


LineCheck = Callable[[str, int, bytes, list[str], int], int]


def _line_checker(path: str, seen: _Seen) -> LineCheck:
    if path == VERSIONS_FILE:
        return _model_lines(CardVersion, "a card version line", seen.versions)
    if path == DNC_FILE:
        return _model_lines(DncStatus, "a DNC status line", seen.dnc)
    return lambda p, n, line, problems, bad: _check_record(p, n, line, seen, problems, bad)


def _check_record(path: str, number: int, line: bytes, seen: _Seen, problems: list[str],
                  bad_so_far: int) -> int:
    try:
        record = LeadCardRecord.model_validate_json(line)
    except ValidationError as exc:
        if bad_so_far < MAX_LISTED_RECORD_PROBLEMS:
            problems.append(f"{path} line {number}: not a lead_card.v1 record: "
                            f"{describe_validation_error(exc)}")
        return 1
    seen.labels[record.labels.execution_label or "unlabeled"] += 1
    seen.record_ids.append(record.card_id)
    return 0


def _model_lines(model: type[M], what: str, into: list[M]) -> LineCheck:
    """A sidecar's lines: each one `model`, kept in `into`."""
    def check(path: str, number: int, line: bytes, problems: list[str], bad_so_far: int) -> int:
        try:
            into.append(model.model_validate_json(line))
        except ValidationError as exc:
            if bad_so_far < MAX_LISTED_RECORD_PROBLEMS:
                problems.append(f"{path} line {number}: not {what}: "
                                f"{describe_validation_error(exc)}")
            return 1
        return 0

    return check


def _check_handoff(raw: bytes, seen: _Seen, problems: list[str]) -> int:
    try:
        seen.handoff = HandoffInfo.model_validate_json(raw)
    except ValidationError as exc:
        problems.append(f"{HANDOFF_FILE}: not a lead_card_batch_handoff.v1 object: "
                        f"{describe_validation_error(exc)}")
        return 1
    return 0


def _opener(source: App | ObjectStore | None, ref: str) -> tuple[Opener, str]:
    if ref.startswith("s3://"):
        bucket, _, key = ref.removeprefix("s3://").partition("/")
        folder, name = posixpath.split(key)
        prefix = f"{folder}/" if folder else ""
        if source is not None and not isinstance(source, App) and source.bucket == bucket:
            store = source
            return (lambda rel: store.open_read(prefix + rel)), name
        if isinstance(source, App) and source.settings.embedded_store:
            if bucket != source.settings.spaces_bucket:
                raise ConfigError(
                    f"{ref}: no S3 API is configured (SPACES_ENDPOINT is unset) and the local"
                    f" store holds bucket {source.settings.spaces_bucket!r} only; pass the"
                    " manifest's local path", "store_not_configured")
            local = source.store
            return (lambda rel: local.open_read(prefix + rel)), name
        client = _s3_client(source)

        def open_s3(rel: str) -> IO[bytes]:
            from botocore.exceptions import BotoCoreError

            try:
                body: IO[bytes] = client.get_object(Bucket=bucket, Key=prefix + rel)["Body"]
            except client.exceptions.ClientError as exc:
                raise StoreError(f"s3://{bucket}/{prefix}{rel}: {exc}", "not_found") from exc
            except BotoCoreError as exc:  # no credentials, endpoint away …
                raise StoreError(f"s3://{bucket}/{prefix}{rel}: {exc}",
                                 "store_unreachable") from exc
            return body

        return open_s3, name
    path = Path(ref)
    return (lambda rel: (path.parent / rel).open("rb")), path.name


def _s3_client(source: App | ObjectStore | None) -> Any:
    import boto3
    from botocore.config import Config

    settings = source.settings if isinstance(source, App) else None
    if settings is None:
        return boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
    return boto3.client("s3", endpoint_url=settings.spaces_endpoint,
                        region_name=settings.spaces_region,
                        aws_access_key_id=settings.spaces_key,
                        aws_secret_access_key=settings.secret("spaces_secret"),
                        config=Config(s3={"addressing_style": "path"}))
