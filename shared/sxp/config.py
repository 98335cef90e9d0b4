"""The one settings object. Read from environment variables; embedded defaults when unset."""

from __future__ import annotations

import os
from pathlib import Path

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

    env: str = Field("local", alias="SXP_ENV")
    home: Path = Field(Path(".sxp"), alias="SXP_HOME")
    service: str = Field("sxp", alias="SXP_SERVICE")
    log_level: str = Field("INFO", alias="SXP_LOG_LEVEL")

    database_url: SecretStr | None = Field(None, alias="DATABASE_URL")
    # Postgres role assumed after connecting (SET ROLE); production connects as it directly.
    db_role: str | None = Field(None, alias="SXP_DB_ROLE")
    # connections the API keeps open for its reads (per process)
    db_pool_size: int = Field(4, ge=1, le=100, alias="SXP_DB_POOL_SIZE")

    spaces_endpoint: str | None = Field(None, alias="SPACES_ENDPOINT")
    spaces_bucket: str = Field("sxp-local", alias="SPACES_BUCKET")
    spaces_key: str | None = Field(None, alias="SPACES_KEY")
    spaces_secret: SecretStr | None = Field(None, alias="SPACES_SECRET")
    spaces_region: str = Field("us-east-1", alias="SPACES_REGION")

    inbox_prefix: str = Field("inbox/", alias="SXP_INBOX_PREFIX")
    stage_prefix: str = Field("stage/", alias="SXP_STAGE_PREFIX")
    exports_prefix: str = Field("exports/", alias="SXP_EXPORTS_PREFIX")

    rules_file: Path | None = Field(None, alias="SXP_RULES_FILE")

    skiptrace_base_url: str | None = Field(None, alias="SKIPTRACE_BASE_URL")
    skiptrace_api_key: SecretStr = Field(SecretStr(SANDBOX_KEYS["skiptrace"]),
                                         alias="SKIPTRACE_API_KEY")
    apollo_base_url: str | None = Field(None, alias="APOLLO_BASE_URL")
    apollo_api_key: SecretStr = Field(SecretStr(SANDBOX_KEYS["apollo"]), alias="APOLLO_API_KEY")
    provider_timeout_s: float = Field(10.0, alias="SXP_PROVIDER_TIMEOUT_S")
    provider_max_attempts: int = Field(5, alias="SXP_PROVIDER_MAX_ATTEMPTS")
    # client-side limits, set below the plans' limits (BatchData ~3,000/min, Apollo 1,000/min)
    skiptrace_rate_per_s: float = Field(45.0, gt=0, alias="SKIPTRACE_RATE_PER_S")
    apollo_rate_per_s: float = Field(15.0, gt=0, alias="APOLLO_RATE_PER_S")
    breaker_fail_max: int = Field(5, ge=1, alias="SXP_BREAKER_FAIL_MAX")
    breaker_reset_s: float = Field(30.0, gt=0, alias="SXP_BREAKER_RESET_S")
    error_budget_target: float = Field(0.99, gt=0, le=1, alias="SXP_ERROR_BUDGET_TARGET")
    error_budget_min_calls: int = Field(100, ge=1, alias="SXP_ERROR_BUDGET_MIN_CALLS")
    error_budget_pause_s: float = Field(300.0, gt=0, alias="SXP_ERROR_BUDGET_PAUSE_S")

    # platform APIs for pull jobs (`sxp pull`); real base URLs are configuration only
    x_api_base_url: str | None = Field(None, alias="X_API_BASE_URL")
    x_api_bearer_token: SecretStr | None = Field(None, alias="X_API_BEARER_TOKEN")
    tiktok_api_base_url: str | None = Field(None, alias="TIKTOK_API_BASE_URL")
    tiktok_api_token: SecretStr | None = Field(None, alias="TIKTOK_API_TOKEN")
    threads_api_base_url: str | None = Field(None, alias="THREADS_API_BASE_URL")
    threads_api_token: SecretStr | None = Field(None, alias="THREADS_API_TOKEN")
    pull_rate_per_s: float = Field(5.0, gt=0, alias="SXP_PULL_RATE_PER_S")
    pull_handles_per_job: int = Field(1000, ge=1, le=10000, alias="SXP_PULL_HANDLES_PER_JOB")

    enrich_provider: str = Field("skiptrace", alias="SXP_ENRICH_PROVIDER")
    enrich_batch_size: int = Field(250, ge=1, le=MAX_ENRICH_BATCH, alias="SXP_ENRICH_BATCH_SIZE")
    credit_budget_per_run: int = Field(2000, ge=0, alias="SXP_CREDIT_BUDGET_PER_RUN")
    credit_budget_per_day: int = Field(10000, ge=0, alias="SXP_CREDIT_BUDGET_PER_DAY")
    credits_per_lookup: int = Field(1, ge=0, alias="SXP_CREDITS_PER_LOOKUP")
    # per provider: {"apollo": {"per_day": 2000, "per_run": 500, "prices": {"people_match": 1}}}
    # (JSON); what a provider leaves out falls back to the three settings above
    provider_budgets: dict[str, ProviderBudget] = Field(default_factory=dict,
                                                        alias="SXP_PROVIDER_BUDGETS")

    worker_concurrency: int = Field(2, ge=1, alias="SXP_WORKER_CONCURRENCY")
    # the worker's periodic tasks and their periods in seconds (JSON), e.g. {"scan": 300,
    # "export": 900, "retention": 86400}: the scheduler where functions have no triggers (the
    # App Platform shape); each slot runs once across the worker's instances. Unset: none
    periodic_tasks: dict[str, int] = Field(default_factory=dict, alias="SXP_PERIODIC_TASKS")
    job_lease_s: int = Field(60, ge=5, alias="SXP_JOB_LEASE_S")
    job_max_attempts: int = Field(5, ge=1, alias="SXP_JOB_MAX_ATTEMPTS")

    export_gzip: bool = Field(True, alias="SXP_EXPORT_GZIP")
    ingest_max_row_bytes: int = Field(1_000_000, alias="SXP_INGEST_MAX_ROW_BYTES")
    # the C per-row path of JSONL ingest (sxp.native) when it is built; off: Python only
    ingest_native: bool = Field(True, alias="SXP_INGEST_NATIVE")
    ingest_max_decompressed_bytes: int = Field(20 * 1024**3,
                                               alias="SXP_INGEST_MAX_DECOMPRESSED_BYTES")

    migrations_dir: Path | None = Field(None, alias="SXP_MIGRATIONS_DIR")

    # handoff: the queue transport's Valkey/Redis (unset locally: an embedded Valkey under
    # SXP_HOME), webhook retries and targets, the overlap of a signing-secret rotation
    valkey_url: SecretStr | None = Field(None, alias="SXP_VALKEY_URL")
    webhook_retry_schedule_s: tuple[float, ...] = Field(
        DEFAULT_RETRY_SCHEDULE_S, min_length=1, alias="SXP_WEBHOOK_RETRY_SCHEDULE_S")
    webhook_allow_private: bool = Field(False, alias="SXP_WEBHOOK_ALLOW_PRIVATE")
    webhook_rotation_overlap_s: int = Field(86400, ge=0, alias="SXP_WEBHOOK_ROTATION_OVERLAP_S")
    # the key of the keyed hashes that name erased and suppressed subjects (unset locally: a
    # key file under SXP_HOME, made once)
    privacy_key: SecretStr | None = Field(None, alias="SXP_PRIVACY_KEY")
    # days kept per kind (inbox, staged, rejects, exports, provider_answers, audit) over the
    # environment's defaults (sxp.domain.retention.DEFAULT_DAYS), e.g. {"exports": 365}
    retention_overrides: dict[str, int] = Field(default_factory=dict, alias="SXP_RETENTION_DAYS")

    # the HTTP API: per-key rate limit, the largest upload it takes itself (bigger files go
    # through a presigned upload), request timeouts
    api_rate_per_s: float = Field(20.0, gt=0, alias="SXP_API_RATE_PER_S")
    api_rate_burst: int = Field(40, ge=1, alias="SXP_API_RATE_BURST")
    api_max_upload_bytes: int = Field(5 * 1024**3, ge=1, alias="SXP_API_MAX_UPLOAD_BYTES")
    api_keep_alive_s: int = Field(5, ge=1, alias="SXP_API_KEEP_ALIVE_S")
    api_header_timeout_s: float = Field(10.0, gt=0, alias="SXP_API_HEADER_TIMEOUT_S")
    api_read_timeout_s: float = Field(30.0, gt=0, alias="SXP_API_READ_TIMEOUT_S")
    api_link_expires_s: int = Field(900, ge=60, le=7 * 86400, alias="SXP_API_LINK_EXPIRES_S")
    # signs the API's own upload links (the local folder store has no presigned URLs); unset:
    # a key of this process, so links die with it (fine for the embedded default only)
    api_signing_key: SecretStr | None = Field(None, alias="SXP_API_SIGNING_KEY")
    # uvicorn worker processes of `sxp api`; unset: one per CPU the process may use
    api_workers: int | None = Field(None, ge=1, le=64, alias="SXP_API_WORKERS")

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
