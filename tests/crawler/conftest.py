"""Spider tests run their crawls on a SQLite file only.

Storage is tested on SQLite and PostgreSQL in tests/storage and tests/monitor (including whole
crawls through the service and the health checks); repeating every spider crawl on both would
double the slowest part of the suite and test the spiders no further.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}"
