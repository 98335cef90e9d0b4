"""`sxp verify-bundle`: check a Lead Card Batch against its manifest.

Checks the manifest against the v1 model, then for every file its sha256 and size, its
record count, and every record against the `LeadCardRecord` v1 model (the source of
`contracts/lead_card_batch.v1.schema.json`); totals and per-label counts must add up.
Raises `BundleInvalid` listing every problem found.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from sxp.adapters.bundle_files import HashingReader, iter_lines
from sxp.adapters.objectstore.base import ObjectStore
from sxp.bootstrap import App
from sxp.domain.bundle import (
    LeadCardRecord,
    Manifest,
    ManifestFile,
    describe_validation_error,
)
from sxp.errors import BundleInvalid, StoreError

MAX_LISTED_RECORD_PROBLEMS = 20
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


def verify_bundle(app_or_store: App | ObjectStore | None, manifest_ref: str) -> VerifyReport:
    """Verify the bundle whose manifest is at a local path or an `s3://bucket/key` URL."""
    open_file, manifest_name = _opener(app_or_store, manifest_ref)
    try:
        with open_file(manifest_name) as fh:
            raw_manifest = fh.read()
    except (OSError, StoreError) as exc:
        raise BundleInvalid(f"{manifest_ref}: manifest cannot be read: {exc}",
                            "manifest_missing") from exc
    try:
        manifest = Manifest.model_validate_json(raw_manifest)
    except ValidationError as exc:
        raise BundleInvalid(f"{manifest_ref}: manifest does not match lead_card_batch.v1: "
                            f"{describe_validation_error(exc)}", "manifest_invalid") from exc
    problems: list[str] = []
    labels: Counter[str] = Counter()
    total = 0
    for entry in manifest.files:
        total += _check_file(open_file, entry, labels, problems)
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


def _check_file(open_file: Opener, entry: ManifestFile, labels: Counter[str],
                problems: list[str]) -> int:
    if entry.path.startswith("/") or ".." in entry.path.split("/"):
        problems.append(f"{entry.path}: path leaves the bundle folder")
        return 0
    try:
        stream = open_file(entry.path)
    except (OSError, StoreError):
        problems.append(f"{entry.path}: file missing")
        return 0
    count, bad = 0, 0
    with stream:
        hashing = HashingReader(stream)
        try:
            for number, line in enumerate(iter_lines(hashing, entry.compression), start=1):
                count += 1
                bad += _check_record(entry.path, number, line, labels, problems, bad)
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
    return count


def _check_record(path: str, number: int, line: bytes, labels: Counter[str],
                  problems: list[str], bad_so_far: int) -> int:
    try:
        record = LeadCardRecord.model_validate_json(line)
    except ValidationError as exc:
        if bad_so_far < MAX_LISTED_RECORD_PROBLEMS:
            problems.append(f"{path} line {number}: not a lead_card.v1 record: "
                            f"{describe_validation_error(exc)}")
        return 1
    labels[record.labels.execution_label or "unlabeled"] += 1
    return 0


def _opener(source: App | ObjectStore | None, ref: str) -> tuple[Opener, str]:
    if ref.startswith("s3://"):
        bucket, _, key = ref.removeprefix("s3://").partition("/")
        folder, name = posixpath.split(key)
        prefix = f"{folder}/" if folder else ""
        if source is not None and not isinstance(source, App) and source.bucket == bucket:
            store = source
            return (lambda rel: store.open_read(prefix + rel)), name
        client = _s3_client(source)

        def open_s3(rel: str) -> IO[bytes]:
            try:
                body: IO[bytes] = client.get_object(Bucket=bucket, Key=prefix + rel)["Body"]
            except client.exceptions.ClientError as exc:
                raise StoreError(f"s3://{bucket}/{prefix}{rel}: {exc}", "not_found") from exc
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
