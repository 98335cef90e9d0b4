"""Social XPress Engine: social audience pools to execution-ready lead assets."""

from __future__ import annotations

__version__ = "0.1.0"
