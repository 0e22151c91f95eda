"""Normalisation tables: UK dates, references, exemptions, outcomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time

from crawler.authorities import canonical_authority
from crawler.normalise import (
    classify_outcome,
    normalise_reference,
    parse_exemptions,
    parse_iso_datetime,
    parse_uk_date,
    uk_date,
    url_month,
)
from crawler.platforms.feed import feed_date
from crawler.platforms.govuk import _parse_timestamp as govuk_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Response sent 10 May 2022", date(2022, 5, 10)),
        ("Date: 16/02/26", date(2026, 2, 16)),
        ("Date: 16/02/2026", date(2026, 2, 16)),
        ("Response 03-04-2024", date(2024, 4, 3)),
        ("Published: 1st September 2023", date(2023, 9, 1)),
        ("Sept 5, 2021", date(2021, 9, 5)),
        ("2022-11-30T10:00:00Z", date(2022, 11, 30)),
        ("31/02/2024 is not a date", None),
        ("no date here", None),
        ("", None),
    ],
)
def test_parse_uk_date(text: str, expected: date | None) -> None:
    assert parse_uk_date(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-2023/december-2023/slug/",
            date(2023, 12, 1),
        ),
        (
            "https://www.south-wales.police.uk/foi-ai/swp/disclosure-log/2025/june/foi-82611/",
            date(2025, 6, 1),
        ),
        ("/foi-ai/x/foi-disclosure-2025/january-2025/", date(2025, 1, 1)),
        ("/foi-ai/x/disclosure-2025/october/", date(2025, 10, 1)),
        ("/foi-ai/metropolitan-police/d/july-2022/anpr-camera-locations/", date(2022, 7, 1)),
        ("/foi-ai/x/disclosure_2024/SEPT_2024/page", date(2024, 9, 1)),
        ("/cy/foi-ai/heddlu-de-cymru/datgeliadau/2025/awst/foi-82525/", date(2025, 8, 1)),
        ("/cy/foi-ai/x/2024/Rhagfyr/", date(2024, 12, 1)),
        ("/cy/foi-ai/x/ionawr-2026/", date(2026, 1, 1)),
        ("/cy/foi-ai/x/2023/mai/", date(2023, 5, 1)),
        # a year glued to the folder's name, a month folder led by its own number
        ("/foi-ai/dyfed-powys-police/disclosure2022/november/slug/", date(2022, 11, 1)),
        ("/foi-ai/x/disclosure-log2023/march/", date(2023, 3, 1)),
        ("/foi-ai/gwent-police/disclosure2/2022/09---september/202225392---slug/", date(2022, 9, 1)),
        ("/foi-ai/x/datgeliadau2025/hydref/", date(2025, 10, 1)),
        ("/foi-ai/x/july2022/", date(2022, 7, 1)),
        ("/foi-ai/x/2022/03-september/", None),
        ("/foi-ai/x/disclosure2/september/", None),
        # a reference number, or a slug that mentions a month, dates nothing
        ("/foi-ai/south-wales-police/disclosure-log/foi-82611/", None),
        ("/disclosure-log/foi-2023-0456/", None),
        ("/disclosure-log/2023-0456/may/", None),
        ("/news/crime-figures-for-may-2023/", None),
        ("/disclosure-log/may/", None),
        ("/disclosure-log/2025/", None),
        # a year outside 2000 .. next year is no year
        ("/archive/1999/june/", None),
        ("/archive/2028/june/", None),
        ("/archive/2027/june/", date(2027, 6, 1)),
        ("", None),
    ],
)
def test_url_month(url: str, expected: date | None) -> None:
    assert url_month(url, latest_year=2027) == expected


def test_url_month_accepts_next_year_by_default() -> None:
    with freeze_time("2026-12-31T23:00:00Z"):
        assert url_month("/log/2027/january/") == date(2027, 1, 1)
        assert url_month("/log/2028/january/") is None


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("89- 26", "89-26"),
        ("01.FOI.22.024049", "01.FOI.22.024049"),
        ("foi 82525", "FOI82525"),
        ("REQ06487", "REQ06487"),
    ],
)
def test_normalise_reference(reference: str, key: str) -> None:
    assert normalise_reference(reference) == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "by virtue of the following exemptions: Section 24(2) National Security "
            "Section 31(3) Law Enforcement",
            ["s24(2)", "s31(3)"],
        ),
        ("Section 40(2)&(3) - Personal Information", ["s40(2)", "s40(3)"]),
        ("Section 40(2)(a)(b) and the first condition of Section 40(3A)(a)", ["s40(2)"]),
        ("We therefore find s.31(1)(a) to be engaged", ["s31(1)(a)"]),
        ("exempt under section 31(1) – Law enforcement", ["s31(1)"]),
        ("Section 17 refusal notice; Section 1(1) not held; Section 16 advice", []),
        ("searched under section 23 of the Misuse of Drugs Act 1971 and PACE s1", []),
        (
            "Section 43(2) (commercial interests) and section 38(1)(a) & (b)",
            ["s43(2)", "s38(1)(a)", "s38(1)(b)"],
        ),
        ("Section 12 of the Freedom of Information Act (cost limit)", ["s12"]),
    ],
)
def test_parse_exemptions(text: str, expected: list[str]) -> None:
    assert parse_exemptions(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have today decided to disclose the requested information.", "released"),
        ("I have today decided to disclose some of the requested information.", "partially_released"),
        ("I have today decided not to disclose the requested information.", "refused"),
        ("Therefore, we decline to provide this information to you.", "refused"),
        ("The information you have requested is therefore not held by the force.", "not_held"),
        ("The MPS can neither confirm nor deny that it holds the information.", "neither_confirm_nor_deny"),
        ("South Wales Police can provide some of the information requested.", "partially_released"),
        ("The figures are shown in the table below.", "released"),
        ("", None),
    ],
)
def test_classify_outcome(text: str, expected: str | None) -> None:
    assert classify_outcome(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We have dealt with this under the Freedom of Information (Scotland) Act 2002. Section 17 - "
            "information not held; section 38(1)(b) personal data; section 35(1)(a) law enforcement",
            ["FOISA s17", "FOISA s38(1)(b)", "FOISA s35(1)(a)"],
        ),
        (
            "handled under the Environmental Information Regulations 2004; regulation 12(4)(b) manifestly "
            "unreasonable and Regulation 13 personal data; Section 40(2)",
            ["EIR 12(4)(b)", "EIR 13", "s40(2)"],
        ),
        (
            "Environmental Information (Scotland) Regulations 2004, FOISA s39(2); regulation 10(4)(b)",
            ["FOISA s39(2)", "EISR 10(4)(b)"],
        ),
        ("Section 17 of the Freedom of Information Act 2000 refusal notice; section 31(1)(a)", ["s31(1)(a)"]),
    ],
    ids=["foisa", "eir", "scottish-eir", "foia-s17-is-procedure"],
)
def test_exemptions_tell_the_acts_apart(text: str, expected: list[str]) -> None:
    assert parse_exemptions(text) == expected


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("MPS", "Metropolitan Police Service"),
        ("the  Metropolitan Police", "Metropolitan Police Service"),
        ("London Borough of Barnet", "Barnet Council"),
        ("The National Archives", "The National Archives"),
        ("Essex Police ", "Essex Police"),
    ],
)
def test_canonical_authority(name: str, canonical: str) -> None:
    assert canonical_authority(name) == canonical


def test_withdrawn_outcome() -> None:
    assert classify_outcome("The applicant withdrew their request on 3 May.") == "withdrawn"


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_iso_datetime, "2024-03-31T23:30:00Z"),
        (parse_iso_datetime, "2024-04-01T00:30:00+01:00"),
        (feed_date, "Sun, 31 Mar 2024 23:30:00 GMT"),
        (feed_date, "2024-03-31T23:30:00Z"),
        (govuk_timestamp, "2024-03-31T23:30:00.000+00:00"),
    ],
)
def test_one_moment_is_one_uk_day_on_every_platform(parse: Callable[[str], date | None], text: str) -> None:
    # 23:30 UTC on 31 March 2024 is 00:30 BST on 1 April: the day the authority would give it.
    assert parse(text) == date(2024, 4, 1)


def test_alaveteli_reply_dates_follow_the_same_rule() -> None:
    assert uk_date(datetime(2024, 3, 31, 23, 30, tzinfo=UTC)) == date(2024, 4, 1)
    assert uk_date(datetime(2024, 1, 31, 23, 30, tzinfo=UTC)) == date(2024, 1, 31)  # GMT in winter
    assert uk_date(datetime(2024, 3, 31, 23, 30)) == date(2024, 3, 31)  # no zone: the site's own time


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Q1 - 96\nQ2 - NOTICE OF REFUSAL Please note that I consider the information you have requested "
            "regarding the location of CCTV cameras to be exempt information under S31(1)(a).",
            "partially_released",
        ),
        (
            "We do not hold the information you have requested.\nIf you are dissatisfied with this response "
            "you may ask for an internal review. If you remain dissatisfied you may complain to the "
            "Information Commissioner, who may decide the information was wrongly withheld.",
            "not_held",
        ),
        (
            "NOTICE OF REFUSAL Please note that I consider the information you have requested to be exempt "
            "information under S31(1)(a) of the Freedom of Information Act.",
            "refused",
        ),
        (
            "1. 182 cameras.\n2. Yes.\n3. Kestrel Security Ltd.\n4. The information is not held.\n"
            "5. Withheld under section 43(2).\n6. See answer to question 5.\n7. 2019.",
            "partially_released",
        ),
        ("1. 182 cameras.\n2. Yes, daily.\n3. Kestrel Security Ltd.", "released"),
        ("1. No information held.\n2. This information is not held by the council.", "not_held"),
        (
            "Section 31(1)(a) states that information is exempt if its disclosure would prejudice the "
            "prevention of crime. We do not hold any record of the cameras' makes.",
            "not_held",
        ),
        ("Thank you for your request. We will respond within 20 working days.", None),
    ],
    ids=[
        "q-list-refuses-one",
        "not-held-then-appeal-rights",
        "notice-of-refusal",
        "seven-questions",
        "all-answered",
        "all-not-held",
        "quoted-statute",
        "acknowledgement",
    ],
)
def test_outcome_of_the_answer_as_a_whole(text: str, expected: str | None) -> None:
    assert classify_outcome(text) == expected
