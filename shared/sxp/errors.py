"""One exception hierarchy; every error a user sees carries a stable reason code.

    SxpError
    ├── ConfigError          settings that cannot work
    ├── InputError           bad input from a user or a file (4xx on the API)
    │   └── FileUnreadable   a whole source file cannot be read
    ├── StoreError           object store failures
    ├── ProviderError        an enrichment provider failed
    │   ├── ProviderRetryable   429, 5xx, timeouts: try again later
    │   └── ProviderFatal       401, 402, 422: retrying will not help
    ├── BundleInvalid        a Lead Card Batch failed verification
    └── JobPostponed         a step cannot run yet (circuit open, budget spent): it waits,
                             no attempt used
"""

from __future__ import annotations


class SxpError(Exception):
    reason_code = "error"

    def __init__(self, message: str, reason_code: str | None = None) -> None:
        super().__init__(message)
        if reason_code is not None:
            self.reason_code = reason_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class ConfigError(SxpError):
    reason_code = "config_error"


class InputError(SxpError):
    reason_code = "bad_input"


class FileUnreadable(InputError):
    reason_code = "file_unreadable"


class StoreError(SxpError):
    reason_code = "store_error"


class ProviderError(SxpError):
    reason_code = "provider_error"

    def __init__(self, message: str, reason_code: str | None = None, status: int | None = None,
                 retry_after_s: float | None = None) -> None:
        super().__init__(message, reason_code)
        self.status = status
        self.retry_after_s = retry_after_s


class ProviderRetryable(ProviderError):
    reason_code = "provider_retryable"


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
