"""Names and dates a person types on the command line (or in a query string), checked and resolved.

An unknown topic, source or authority is an error that suggests the closest known ones, never a
filter that silently matches nothing.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime

DATE_EXAMPLE = "a date such as 2026-01-31 or 31/01/2026"
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


class UnknownName(ValueError):
    """A name that is none of the known ones; ``str()`` suggests the closest."""


def resolve_name(kind: str, given: str, known: Iterable[str]) -> str:
    """The known name ``given`` stands for (letter case aside), or ``UnknownName`` with suggestions:
    ``no source 'met-polce'; did you mean 'met-police'?``."""
    by_lower = {name.lower(): name for name in known}
    typed = given.strip().lower()
    if typed in by_lower:
        return by_lower[typed]
    suggestions = closest_names(given, by_lower.values())
    if suggestions:
        raise UnknownName(f"no {kind} {given!r}; did you mean {' or '.join(map(repr, suggestions))}?")
    if not by_lower:
        raise UnknownName(f"no {kind} {given!r}: none is known yet")
    listed = sorted(by_lower.values())
    more = f" and {len(listed) - 8} more" if len(listed) > 8 else ""
    raise UnknownName(f"no {kind} {given!r}; known: {', '.join(listed[:8])}{more}")


def closest_names(given: str, known: Iterable[str]) -> list[str]:
    """Up to three known names ``given`` may have meant: the likest by spelling, then those holding it."""
    by_lower = {name.lower(): name for name in known}
    typed = given.strip().lower()
    close = _closest(typed, list(by_lower))
    within = [name for name in by_lower if typed and typed in name and name not in close]
    return [by_lower[name] for name in [*close, *within][:3]]


def _closest(typed: str, names: list[str]) -> list[str]:
    """Up to three names like ``typed``: the likest, and any nearly as like it (not every name a
    letter or two away: 'met-polce' is 'met-police', not also 'kent-police')."""
    scored = sorted(
        ((difflib.SequenceMatcher(None, typed, name).ratio(), name) for name in names), reverse=True
    )
    if not scored or scored[0][0] < 0.6:
        return []
    best = scored[0][0]
    return [name for ratio, name in scored[:3] if ratio >= max(0.6, best - 0.1)]


def parse_day(text: str) -> date:
    """A calendar day written as ISO (``2026-01-31``) or as the UK writes it (``31/01/2026``).

    Raises ``ValueError`` saying which forms are understood.
    """
    written = text.strip()
    match = _DAY_MONTH_YEAR.match(written)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return date(year, month, day)
        return datetime.strptime(written, "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(f"{text!r} is not a date: use {DATE_EXAMPLE}") from None
