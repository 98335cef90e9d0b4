"""Imported by the parser processes' forkserver only (`ingest_parallel.parser_context`): it
loads the block code and the native module with its Unicode table there, once, so every parser
process forked from the server starts with both. Importing it elsewhere does no harm (the
native load is cached per process), but nothing else needs to."""

from __future__ import annotations

from sxp.native import load
from sxp.pipeline import ingest_parallel  # noqa: F401 - what each parser process runs

load()
