"""html_log: field-by-field parsing of saved council pages and letters, the listing readers, the options.

Real crawls of the same councils' mini-sites are in ``test_html_log_crawl``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from crawler.attachments import extract_text
from crawler.pagetext import parse_soup
from crawler.platforms.html_log import (
    HtmlLogOptions,
    decode_html,
    find_log_links,
    listing_links,
    next_page_links,
    read_letter,
    read_log_page,
    reflow,
)
from crawler.platforms.page import ParsedPage
from tests.conftest import FIXTURES

SITES = FIXTURES / "html_log"
EXPECTED = yaml.safe_load((SITES / "expected.yaml").read_text(encoding="utf-8"))
BASE = "https://www.example.gov.uk"
SOURCES = EXPECTED["sources"]
COVENTRY, CAMBRIDGE, MORAY, HASTINGS, BARNET, EAST_LOTHIAN = (
    SOURCES[council]["options"]
    for council in ("coventry", "cambridge", "moray", "hastings", "barnet", "east_lothian")
)
HASTINGS_DATES = SOURCES["hastings"]["start"]


# -- parsing saved pages and letters, field by field --------------------------------------------
def _url(file: str) -> str:
    return BASE + "/" + file.split("/", 1)[1]


def _read(entry: dict[str, Any]) -> ParsedPage:
    body = (SITES / entry["file"]).read_bytes()
    if entry["kind"] == "letter":
        text, error = extract_text(body, _url(entry["file"]))
        assert error is None and text
        return read_letter(text, _url(entry["file"]), entry["listed"])
    return read_log_page(decode_html(body, "utf-8"), _url(entry["file"]))


@pytest.fixture(scope="module", params=EXPECTED["pages"], ids=lambda e: e["file"].rsplit("/", 1)[-1][:40])
def parsed(request: pytest.FixtureRequest) -> tuple[dict[str, Any], ParsedPage]:
    return request.param, _read(request.param)


def test_title(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.title == expected["title"]


def test_reference(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.reference == expected["reference"]


def test_published_date(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    wanted = expected["published"]
    assert page.published == (date.fromisoformat(wanted) if wanted else None)


def test_outcome(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.outcome == expected["outcome"]


def test_exemptions(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.exemptions == expected["exemptions"]


def test_request_and_response_text_without_chrome(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.problems == []
    for phrase in expected["request"]:
        assert phrase in page.request
    for phrase in expected["response"]:
        assert phrase in page.response
    assert expected["request"][0] not in page.response or expected["kind"] == "letter"
    for chrome in EXPECTED["chrome"]:
        assert chrome.lower() not in (page.request + page.response).lower()
    assert "\ufffd" not in page.request + page.response


def test_attachments(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert [url.removeprefix(BASE) for url, _ in page.attachments] == expected.get("attachments", [])


def test_a_page_that_is_not_a_response_says_why() -> None:
    file = "cambridge/disclosure-log/10849-ccc-allotment-waiting-lists"
    page = read_log_page((SITES / file).read_text(encoding="utf-8"), _url(file))
    assert "neither a printed reference nor a request found" in page.problems


def test_field_patterns_override_the_generic_reader() -> None:
    file = "barnet/foi-requests/5980133"
    html = (SITES / file).read_text(encoding="utf-8")
    options = HtmlLogOptions.model_validate(
        {
            **BARNET,
            "fields": {**BARNET["fields"], "published": r"^Received:\s*(.+)$", "title": r"^(Pest \w+)"},
        }
    )
    page = read_log_page(html, _url(file), options.fields)
    assert (page.reference, page.published, page.title) == ("5980133", date(2020, 3, 2), "Pest control")


# -- listings -----------------------------------------------------------------------------------
def _links(file: str, url: str, options: dict[str, Any]) -> list[tuple[str, str, date | None]]:
    parsed_options = HtmlLogOptions.model_validate(options)
    soup = parse_soup(decode_html((SITES / file).read_bytes()))
    found = find_log_links(soup, url, parsed_options.is_response, parsed_options.date_grouped)
    return [(link.url.removeprefix(BASE), link.title, link.listed_date) for link in found]


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (  # a full-width date row heads each group
            "page_151310.html",
            [
                ("page_152901.html", date(2024, 3, 5)),
                ("page_152903.html", date(2024, 3, 5)),
                ("page_152988.html", date(2024, 3, 12)),
            ],
        ),
        (  # the date cell spans its group's rows
            "page_150902.html",
            [("page_151422.html", date(2024, 2, 20)), ("page_151425.html", date(2024, 2, 20))],
        ),
        (  # the date sits in the group's first row; the cells below are empty
            "page_148812.html",
            [("page_148870.html", date(2023, 12, 13)), ("page_148875.html", date(2023, 12, 13))],
        ),
    ],
)
def test_date_grouped_tables_carry_each_date_to_the_rows_below(
    file: str, expected: list[tuple[str, date]]
) -> None:
    url = f"{BASE}/moray_standard/{file}"
    links = _links(f"moray/moray_standard/{file}", url, MORAY)
    assert [(u.removeprefix("/moray_standard/"), d) for u, _, d in links] == expected
    assert all(title.startswith("FOI Request - ") for _, title, _ in links)


def test_without_date_grouping_each_entry_keeps_its_own_date() -> None:
    url = f"{BASE}/information-request-disclosure-log"
    links = _links("cambridge/information-request-disclosure-log", url, CAMBRIDGE)
    assert links == [
        (
            "/disclosure-log/11002-ccc-council-tax-single-person-discount",
            "(CCC) Council tax single person discount reviews",
            date(2022, 5, 24),
        ),
        ("/disclosure-log/10936-ccc-cctv", "(CCC) CCTV", date(2022, 5, 10)),
        (
            "/disclosure-log/10912-ccc-public-toilets-cleaning-contract",
            "(CCC) Public toilets cleaning contract",
            date(2022, 5, 3),
        ),
    ]


def test_download_links_take_their_title_from_the_table_row() -> None:
    file = "east_lothian/site/custom_scripts/foi_download_index.php@currentPage=1&itemsPerPage=2"
    url = f"{BASE}/site/custom_scripts/foi_download_index.php?currentPage=1&itemsPerPage=2"
    assert [(t, d) for _, t, d in _links(file, url, EAST_LOTHIAN)] == [
        ("Missed bin collections 2023", date(2024, 4, 2)),
        ("Home to school transport", date(2024, 3, 21)),
    ]


@pytest.mark.parametrize(
    ("file", "url", "options", "expected"),
    [
        ("coventry/directory/45/a-to-z/A", "/directory/45/a-to-z/A", COVENTRY, ["C", "P"]),
        ("moray/moray_standard/page_62338.html", "/", MORAY, ["page_150001.html", "page_146000.html"]),
        ("moray/moray_standard/page_150001.html", "/", MORAY, ["page_151310.html", "page_150902.html"]),
        (
            "hastings/my-council/freedom-of-information/date/index.html",
            HASTINGS_DATES,
            HASTINGS,
            ["?year=2023"],
        ),
    ],
)
def test_index_pages_are_found_by_url_or_link_text(
    file: str, url: str, options: dict[str, Any], expected: list[str]
) -> None:
    parsed_options = HtmlLogOptions.model_validate(options)
    soup = parse_soup((SITES / file).read_bytes())
    found = listing_links(soup, BASE + url, parsed_options.is_listing)
    assert [link.rsplit("/", 1)[-1] for link in found] == expected


def test_an_index_page_is_not_a_response_though_its_url_looks_like_one() -> None:
    options = HtmlLogOptions.model_validate(MORAY)
    month = f"{BASE}/moray_standard/page_151310.html"
    assert options.is_response(month, "FOI Request - CCTV Cameras")
    assert not options.is_response(month, "March 2024") and options.is_listing(month, "March 2024")


@pytest.mark.parametrize(
    ("pagination", "expected"),
    [
        (
            "auto",
            ["/information-request-disclosure-log?page=0", "/information-request-disclosure-log?page=1"],
        ),
        ("none", []),
        (r"\?page=[1-9]", ["/information-request-disclosure-log?page=1"]),
    ],
)
def test_pagination_modes(pagination: str, expected: list[str]) -> None:
    soup = parse_soup((SITES / "cambridge/information-request-disclosure-log").read_bytes())
    found = next_page_links(soup, f"{BASE}/information-request-disclosure-log", pagination)
    assert [u.removeprefix(BASE) for u in found] == expected


@pytest.mark.parametrize(
    "options",
    [
        {"link_pattern": "(unclosed"},
        {"link_pattern": "x", "listing_pattern": "[a-"},
        {"link_pattern": "x", "pagination": "*next"},
        {"link_pattern": "x", "fields": {"reference": "(?P<"}},
        {"link_pattern": "x", "fields": {"summary": "x"}},
        {"link_pattern": "x", "follow": True},
        {},
    ],
)
def test_options_are_strict(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        HtmlLogOptions.model_validate(options)


# -- text in the wrong encoding, letters in lines -----------------------------------------------
@pytest.mark.parametrize(
    ("body", "declared"),
    [
        ("Council’s £600 – café".encode("cp1252"), "utf-8"),  # windows-1252 served as UTF-8
        ("Council’s £600 – café".encode(), "iso-8859-1"),  # UTF-8 with a wrong charset
        (b'<meta charset="windows-1252">' + "Council’s £600 – café".encode("cp1252"), None),
        ("Council’s £600 – café".encode("cp1252"), "iso-8859-1"),  # browsers read latin-1 as cp1252
        (b"\xef\xbb\xbf" + "Council’s £600 – café".encode(), None),  # a byte-order mark
        ("\ufeffCouncil’s £600 – café".encode("utf-16-le"), None),  # UTF-16 with its mark
        ("\ufeffCouncil’s £600 – café".encode("utf-16-be"), "iso-8859-1"),  # the mark beats the header
        ("\ufeffCouncil’s £600 – café".encode("utf-32-le"), None),
    ],
)
def test_text_is_readable_whatever_the_declared_charset(body: bytes, declared: str | None) -> None:
    assert decode_html(body, declared).endswith("Council’s £600 – café")


def test_reflow_joins_lines_wrapped_at_the_margin_only() -> None:
    lines = [
        "Thank you for your request for information relating to compensation claims for pothole",
        "damage. Your request and our responses are outlined below:",
        "1. How many claims did the council receive in 2018 and 2019 to date, broken down by ward?",
        "2018 - 341 claims",
        "2019 (to 30 November) - 298 claims",
        "Yours faithfully",
    ]
    assert reflow(lines) == [
        "Thank you for your request for information relating to compensation claims for pothole damage."
        " Your request and our responses are outlined below:",
        lines[2],
        *lines[3:],
    ]
