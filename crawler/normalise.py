"""Normalisation shared by every platform: dates, references, outcomes and exemptions."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from crawler.exemptions import detect_law, parse_exemptions, read_exemptions
from crawler.outcomes import OUTCOMES, classify_outcome
from storage.clock import utcnow

__all__ = ["OUTCOMES", "classify_outcome", "detect_law", "parse_exemptions", "read_exemptions"]

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
_WELSH_MONTHS = {
    name: index
    for index, name in enumerate(
        (
            "ionawr",
            "chwefror",
            "mawrth",
            "ebrill",
            "mai",
            "mehefin",
            "gorffennaf",
            "awst",
            "medi",
            "hydref",
            "tachwedd",
            "rhagfyr",
        ),
        start=1,
    )
}
# Month names as printed on English and Welsh pages ("16 Hydref 2025") and in log addresses.
PATH_MONTHS = _MONTHS | _WELSH_MONTHS
_MONTH_NAMES = "|".join(sorted(PATH_MONTHS, key=len, reverse=True))
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
    """First date in ``text``, read the UK way (day before month): '10 May 2022', '16/02/26',
    Welsh '16 Hydref 2025', ..."""
    if not text:
        return None
    candidates: list[tuple[int, date]] = []
    for match in _WORDY_DATE.finditer(text):
        found = _safe_date(int(match.group(3)), PATH_MONTHS[match.group(2).lower()], int(match.group(1)))
        if found:
            candidates.append((match.start(), found))
    for match in _AMERICAN_WORDY.finditer(text):
        found = _safe_date(int(match.group(3)), PATH_MONTHS[match.group(1).lower()], int(match.group(2)))
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


_YEAR = re.compile(r"\d{4}")
# Words and numbers of a folder name, apart however they are joined: "disclosure2022", "09---september".
_FOLDER_TOKENS = re.compile(r"[^\W\d_]+|\d+")


def _path_year(token: str, latest: int) -> int | None:
    year = int(token) if _YEAR.fullmatch(token) else 0
    return year if 2000 <= year <= latest else None


def _folder_month(tokens: list[str], latest: int) -> tuple[int, int | None] | None:
    """(month, year or None) when a folder names a month and nothing else.

    Its words and numbers are one month name, at most one year and at most the month's own
    number ("09---september", "july-2022", "SEPT_2024", "ionawr2026"); anything more is a slug.
    """
    months = [PATH_MONTHS[t] for t in tokens if t in PATH_MONTHS]
    if len(months) != 1:
        return None
    years = [y for t in tokens if (y := _path_year(t, latest))]
    numbers = [t for t in tokens if t.isdigit() and not _path_year(t, latest)]
    if len(years) > 1 or len(numbers) > 1 or any(int(n) != months[0] for n in numbers):
        return None
    if len(tokens) != 1 + len(years) + len(numbers):
        return None
    return months[0], (years[0] if years else None)


def url_month(url: str, latest_year: int | None = None) -> date | None:
    """The first day of the month a log's address files a response under, or None.

    Reads folders such as ``/disclosure-2023/december-2023/``, ``/d/july-2022/``, ``/2025/june/``,
    ``/disclosure-2025/october/``, ``/disclosure2022/november/`` and ``/2022/09---september/``
    (English or Welsh month names, however the folder joins its words and numbers). A month counts
    only as a folder of its own, alone, with a year or with its own number, and without a year only
    right after a folder ending in a year: a slug that merely mentions a month, or a reference
    number, never dates a response. Years run from 2000 to ``latest_year`` (next year by default).
    """
    latest = latest_year if latest_year is not None else utcnow().year + 1
    segments = [unquote(s).lower() for s in urlsplit(url).path.split("/") if s]
    previous_year: int | None = None
    for segment in segments:
        tokens = _FOLDER_TOKENS.findall(segment)
        if not tokens:
            continue
        found = _folder_month(tokens, latest)
        if found and (found[1] or previous_year):
            return date(found[1] or previous_year or 0, found[0], 1)
        previous_year = _path_year(tokens[-1], latest)
    return None


def normalise_reference(reference: str) -> str:
    """Key form of a reference: no inner spaces, upper case. '89- 26' and '89-26' are one response."""
    return re.sub(r"\s+", "", reference).upper()


def clean_reference(reference: str) -> str:
    """Display form of a reference: trimmed, single spaces, no trailing punctuation."""
    return re.sub(r"\s+", " ", reference).strip(" .,;:")
