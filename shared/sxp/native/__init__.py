"""The native (C) per-row path of JSONL ingest, with the Python code as reference and fallback.

`load()` gives the extension module ready to use (its Unicode table set for this process), or
None when it was not built: setup.py builds it wherever a C compiler is present and installs
sxp without it otherwise, so every entrypoint still works, on the Python path.
"""

from __future__ import annotations

import functools
from types import ModuleType


@functools.cache
def load() -> ModuleType | None:
    try:
        from sxp.native import _fastrows  # type: ignore[attr-defined]
    except ImportError:
        return None
    from sxp.native.unicode_flags import unicode_flags

    _fastrows.set_unicode_flags(unicode_flags())
    module: ModuleType = _fastrows
    return module
