"""Stable reason codes for rejected rows and unreadable files (documented in docs/reason-codes.md).

Codes are part of the product surface: users see them in rejects files, `sxp status` and the API.
Never rename one; add new ones instead.
"""

from __future__ import annotations

# Row-level: the row goes to the rejects JSONL, the rest of the file lands.
MISSING_HANDLE = "missing_handle"
INVALID_HANDLE = "invalid_handle"
UNKNOWN_PLATFORM = "unknown_platform"
PLATFORM_MISMATCH = "platform_mismatch"
NEGATIVE_COUNT = "negative_count"
ABSURD_COUNT = "absurd_count"
INVALID_COUNT = "invalid_count"
INVALID_TIMESTAMP = "invalid_timestamp"
UNPARSABLE_ROW = "unparsable_row"
NOT_AN_OBJECT = "not_an_object"
ROW_TOO_LARGE = "row_too_large"
ENCODING_ERROR = "encoding_error"

ROW_REASONS: dict[str, str] = {
    MISSING_HANDLE: "no handle, username or profile URL in the row",
    INVALID_HANDLE: "the handle breaks the platform's rules (length, characters) or the URL "
                    "is not a profile URL",
    UNKNOWN_PLATFORM: "the platform is neither given nor recognisable from the row's shape",
    PLATFORM_MISMATCH: "the profile URL belongs to another platform than the row says",
    NEGATIVE_COUNT: "a follower/following/post/like count is below zero",
    ABSURD_COUNT: "a count is above 10 billion",
    INVALID_COUNT: "a count is not a number (text, NaN, Infinity, a boolean)",
    INVALID_TIMESTAMP: "a timestamp is neither ISO 8601 nor epoch seconds/milliseconds, "
                       "or lies outside 2000-01-01 .. now + 1 day",
    UNPARSABLE_ROW: "the line is not valid JSON (truncated, NaN/Infinity literals) or a CSV "
                    "record is malformed",
    NOT_AN_OBJECT: "the JSON value is not an object (a number, string or array)",
    ROW_TOO_LARGE: "the row is longer than SXP_INGEST_MAX_ROW_BYTES",
    ENCODING_ERROR: "the row is not valid UTF-8",
}

# File-level: the file is marked failed and nothing from it is kept.
EMPTY_FILE = "empty_file"
NO_ROWS = "no_rows"
BINARY_FILE = "binary_file"
NOT_GZIP = "not_gzip"
CORRUPT_GZIP = "corrupt_gzip"
DECOMPRESSED_TOO_LARGE = "decompressed_too_large"
MALFORMED_JSON_DOCUMENT = "malformed_json_document"
OBJECT_MISSING = "object_missing"
UNKNOWN_COLUMNS = "unknown_columns"
# a CSV needs one of these columns to name its profiles; without any it matches no shape
HANDLE_COLUMNS = ("handle", "username", "profile_url")

FILE_REASONS: dict[str, str] = {
    EMPTY_FILE: "the object has no content (0 bytes, or only whitespace)",
    NO_ROWS: "the file holds no data rows (e.g. a header-only CSV, an empty JSON array)",
    BINARY_FILE: "the content is binary, not text (NUL bytes or undecodable start)",
    NOT_GZIP: "the name ends in .gz but the content is not gzip",
    CORRUPT_GZIP: "the gzip stream is truncated or corrupt",
    DECOMPRESSED_TOO_LARGE: "the decompressed size passes SXP_INGEST_MAX_DECOMPRESSED_BYTES "
                            "(gzip bomb guard)",
    MALFORMED_JSON_DOCUMENT: "a JSON array/object document is not well formed at the top level",
    OBJECT_MISSING: "the object disappeared from the bucket before it could be read",
    UNKNOWN_COLUMNS: "a CSV's header has none of the columns that name a profile (handle, "
                     "username, profile_url): it matches no known shape",
}


class RowRejected(Exception):
    """A row failed a quality check; `code` is one of ROW_REASONS."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
