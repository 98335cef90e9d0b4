from __future__ import annotations

from collections.abc import Iterator

import pytest

from .provider_helpers import close_adapters


@pytest.fixture(autouse=True)
def _close_adapters() -> Iterator[None]:
    """Adapters the helpers built hold HTTP connections: closed after each test."""
    yield
    close_adapters()
