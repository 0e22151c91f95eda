"""The one place "now" comes from, so tests can fix it (freezegun patches ``datetime.now``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def london_day(moment: datetime) -> date:
    """The UK calendar day of a stored moment (stored moments without a zone are UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(LONDON).date()
