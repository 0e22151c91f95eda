"""Names and dates typed by people: resolved, or refused with the closest known ones suggested."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.lookup import UnknownName, parse_day, resolve_name

SOURCES = ["met-police", "cleveland-police", "kent-police", "camden"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [("met-police", "met-police"), ("MET-Police", "met-police"), (" camden ", "camden")],
)
def test_a_known_name_resolves_whatever_its_case(given: str, expected: str) -> None:
    assert resolve_name("source", given, SOURCES) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("met-polce", "no source 'met-polce'; did you mean 'met-police'?"),
        ("cleveland", "no source 'cleveland'; did you mean 'cleveland-police'?"),
        ("zzz", "no source 'zzz'; known: camden, cleveland-police, kent-police, met-police"),
    ],
)
def test_an_unknown_name_suggests_the_closest(given: str, message: str) -> None:
    with pytest.raises(UnknownName) as raised:
        resolve_name("source", given, SOURCES)
    assert str(raised.value) == message


def test_nothing_known_says_so() -> None:
    with pytest.raises(UnknownName, match="none is known yet"):
        resolve_name("authority", "Kent Police", [])


@pytest.mark.parametrize(
    ("text", "day"),
    [("2026-01-31", date(2026, 1, 31)), ("31/01/2026", date(2026, 1, 31)), ("1/2/2026", date(2026, 2, 1))],
)
def test_days_are_read_as_iso_or_as_the_uk_writes_them(text: str, day: date) -> None:
    assert parse_day(text) == day


@pytest.mark.parametrize("text", ["7 days", "31/13/2026", "2026-02-30", "01-31-2026", ""])
def test_anything_else_is_refused_with_the_forms_understood(text: str) -> None:
    with pytest.raises(ValueError, match="use a date such as 2026-01-31 or 31/01/2026"):
        parse_day(text)
