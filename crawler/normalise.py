"""Normalisation shared by every platform: dates, references, outcomes and exemptions."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from crawler.exemptions import detect_law, parse_exemptions
from crawler.outcomes import OUTCOMES, classify_outcome

__all__ = ["OUTCOMES", "classify_outcome", "detect_law", "parse_exemptions"]

_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WORDY_DATE = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_NAMES})\.?,?\s+(\d{{4}})\b", re.IGNORECASE
)
_AMERICAN_WORDY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?!\d)")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\b")

LONDON = ZoneInfo("Europe/London")


def _safe_date(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_uk_date(text: str | None) -> date | None:
    """First date in ``text``, read the UK way (day before month): '10 May 2022', '16/02/26', ..."""
    if not text:
        return None
    candidates: list[tuple[int, date]] = []
    for match in _WORDY_DATE.finditer(text):
        found = _safe_date(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
        if found:
            candidates.append((match.start(), found))
    for match in _AMERICAN_WORDY.finditer(text):
        found = _safe_date(int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)))
        if found:
            candidates.append((match.start(), found))
    for match in _ISO_DATE.finditer(text):
        found = _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if found:
            candidates.append((match.start(), found))
    for match in _NUMERIC_DATE.finditer(text):
        found = _safe_date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if found:
            candidates.append((match.start(), found))
    if not candidates:
        return None
    return min(candidates, key=lambda pair: pair[0])[1]


def uk_date(moment: datetime) -> date:
    """The day a moment falls on in the UK: the one rule for every platform's timestamps.

    A response published at 00:30 BST (23:30 UTC the day before) is that day's, as the authority
    would date it; a timestamp without a zone is taken as the authority's own local time.
    """
    return moment.astimezone(LONDON).date() if moment.tzinfo else moment.date()


def parse_iso_datetime(text: str | None) -> date | None:
    """The UK day of an ISO 8601 timestamp such as a ``<time datetime>`` attribute."""
    if not text:
        return None
    try:
        return uk_date(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        return parse_uk_date(text)


def normalise_reference(reference: str) -> str:
    """Key form of a reference: no inner spaces, upper case. '89- 26' and '89-26' are one response."""
    return re.sub(r"\s+", "", reference).upper()


def clean_reference(reference: str) -> str:
    """Display form of a reference: trimmed, single spaces, no trailing punctuation."""
    return re.sub(r"\s+", " ", reference).strip(" .,;:")
