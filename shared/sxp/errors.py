"""One exception hierarchy; every error a user sees carries a stable reason code.

    SxpError
    ├── ConfigError          settings that cannot work
    │   └── UnknownJobKind   a job names a step this build does not have
    ├── InputError           bad input from a user or a file (4xx on the API)
    │   ├── FileUnreadable   a whole source file cannot be read
    │   └── JobPayloadInvalid  a job's payload is not the shape its step takes
    ├── StoreError           object store failures                          (retryable)
    ├── ProviderError        an enrichment provider failed
    │   ├── ProviderRetryable   429, 5xx, timeouts: try again later        (retryable)
    │   └── ProviderFatal       401, 402, 422: retrying will not help
    ├── BundleInvalid        a Lead Card Batch failed verification
    ├── JobPostponed         a step cannot run yet (circuit open, budget spent): it waits,
    │                        no attempt used
    └── LeaseLost            this worker no longer holds the job it runs: its work is dropped

How the job loop treats a step's exception: `retryable` errors go back to the queue with
backoff (dead once the job's attempts are spent), the others end the job `dead` at once.
An exception from outside sxp (a dropped connection, a full disk) is retryable.
"""

from __future__ import annotations


class SxpError(Exception):
    reason_code = "error"
    retryable = False

    def __init__(self, message: str, reason_code: str | None = None) -> None:
        super().__init__(message)
        if reason_code is not None:
            self.reason_code = reason_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(SxpError):
    reason_code = "config_error"


class UnknownJobKind(ConfigError):
    reason_code = "unknown_job_kind"


class InputError(SxpError):
    reason_code = "bad_input"


class FileUnreadable(InputError):
    reason_code = "file_unreadable"


class JobPayloadInvalid(InputError):
    reason_code = "job_payload_invalid"


class StoreError(SxpError):
    reason_code = "store_error"

    @property
    def retryable(self) -> bool:  # type: ignore[override]
        return self.reason_code != "bad_key"  # a key we built wrong stays wrong


class ProviderError(SxpError):
    reason_code = "provider_error"

    def __init__(self, message: str, reason_code: str | None = None, status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message, reason_code)
        self.status = status
        self.retry_after_s = retry_after_s


class ProviderRetryable(ProviderError):
    reason_code = "provider_retryable"
    retryable = True


class ProviderFatal(ProviderError):
    reason_code = "provider_fatal"


class BundleInvalid(SxpError):
    reason_code = "bundle_invalid"


class JobPostponed(SxpError):
    reason_code = "postponed"

    def __init__(self, message: str, reason_code: str | None = None,
                 retry_after_s: float = 30.0) -> None:
        super().__init__(message, reason_code)
        self.retry_after_s = retry_after_s


class LeaseLost(SxpError):
    reason_code = "lease_lost"
