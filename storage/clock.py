"""The one place "now" comes from, so tests can fix it (freezegun patches ``datetime.now``)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
