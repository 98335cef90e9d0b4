"""Imported by the parser processes' forkserver only (`ingest_parallel.parser_context`): it
loads the block code, the card scorer (`cards_parallel`), the export's record encoder
(`export_parallel`) and the native module with its Unicode table there, once, so every worker
process forked from the server starts with them.
Importing it elsewhere does no harm (the native load is cached per process), but nothing else
needs to."""

from __future__ import annotations

from sxp.native import load
from sxp.pipeline import (  # noqa: F401 - what workers run
    cards_parallel,
    export_parallel,
    ingest_parallel,
)

load()
