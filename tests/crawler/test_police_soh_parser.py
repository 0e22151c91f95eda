"""Field-by-field parsing of saved Single Online Home pages (Met, Cleveland, South Wales, edge cases)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from crawler.platforms.listing import find_links, find_next_pages
from crawler.platforms.page import parse_detail
from crawler.platforms.police_soh import is_response_link
from tests.conftest import FIXTURES, SOH_SITE

EXPECTED = yaml.safe_load((FIXTURES / "police_soh" / "expected.yaml").read_text(encoding="utf-8"))
BASE = "https://www.example.police.uk"
PAGES = {page["url"]: page for page in EXPECTED["pages"]}


def _page_file(url_path: str) -> Path:
    return SOH_SITE / url_path.lstrip("/") / "index.html"


def _listing_file(url_path: str) -> Path:
    path, _, query = url_path.partition("?")
    return SOH_SITE / path.lstrip("/") / (f"index@{query}.html" if query else "index.html")


@pytest.fixture(scope="module", params=sorted(PAGES), ids=lambda u: u.rstrip("/").rsplit("/", 1)[-1])
def parsed(request: pytest.FixtureRequest):
    url_path = request.param
    html = _page_file(url_path).read_text(encoding="utf-8")
    return PAGES[url_path], parse_detail(html, BASE + url_path)


def test_title(parsed) -> None:
    expected, page = parsed
    assert page.title == expected["title"]


def test_reference(parsed) -> None:
    expected, page = parsed
    assert page.reference == expected["reference"]


def test_published_date(parsed) -> None:
    expected, page = parsed
    assert page.published == date.fromisoformat(expected["published"])


def test_outcome(parsed) -> None:
    expected, page = parsed
    assert page.outcome == expected["outcome"]


def test_exemptions(parsed) -> None:
    expected, page = parsed
    assert page.exemptions == expected["exemptions"]


def test_attachments(parsed) -> None:
    expected, page = parsed
    assert [url.removeprefix(BASE) for url, _name in page.attachments] == expected["attachments"]


def test_texts_are_split_and_free_of_chrome(parsed) -> None:
    _expected, page = parsed
    assert page.problems == []
    assert page.request.strip(), "the request text was not found"
    assert len(page.response) > 40
    for chrome in ("cookie", "Leave this site", "This site is a beta", "Accessibility"):
        assert chrome.lower() not in (page.request + page.response).lower()
    assert page.response not in page.request


def test_seed_002_request_and_response_text() -> None:
    url = "/foi-ai/metropolitan-police/d/november-2021/cctv-cameras-under-mps-control/"
    page = parse_detail(_page_file(url).read_text(encoding="utf-8"), BASE + url)
    assert page.request.startswith("I am looking at the amount of CCTV cameras under the met control")
    assert page.request.rstrip().endswith("It's for a positive story focusing on CCTV.")
    assert page.response.startswith("I have today decided to disclose some of the requested information.")
    assert "The MPS has 26,500 Axon BWV cameras" in page.response


def test_page_without_response_content_reports_problems() -> None:
    url = EXPECTED["edge"]["no_content"]
    page = parse_detail(_page_file(url).read_text(encoding="utf-8"), BASE + url)
    assert page.problems


@pytest.mark.parametrize(
    "listing",
    [entry for entry in EXPECTED["listings"] if entry["force"] != "edge-police"],
    ids=lambda e: e["url"],
)
def test_listing_links_and_next_page(listing) -> None:
    page_url = BASE + listing["url"]
    start_url = BASE + listing["url"].split("?")[0]
    soup = BeautifulSoup(_listing_file(listing["url"]).read_text(encoding="utf-8"), "html.parser")
    links = find_links(soup, page_url, lambda url: is_response_link(url, start_url))
    assert [link.url.removeprefix(BASE) for link in links] == listing["items"]
    next_pages = [url.removeprefix(BASE) for url in find_next_pages(soup, page_url)]
    if listing["next"]:
        assert listing["next"] in next_pages
    else:
        assert all(
            url.rstrip("/") == listing["url"].split("?")[0].rstrip("/") or "page=" in url
            for url in next_pages
        )
        assert not [u for u in next_pages if _later_page(u, listing["url"])]


def _later_page(url: str, current: str) -> bool:
    def number(u: str) -> int:
        return int(u.split("page=")[1]) if "page=" in u else 1

    return number(url) > number(current)


def test_listing_carries_the_printed_date() -> None:
    listing = "/foi-ai/metropolitan-police/disclosure-log/"
    soup = BeautifulSoup(_listing_file(listing).read_text(encoding="utf-8"), "html.parser")
    links = find_links(soup, BASE + listing, lambda url: is_response_link(url, BASE + listing))
    first = PAGES[links[0].url.removeprefix(BASE)]
    assert links[0].listed_date == date.fromisoformat(first["published"])


@pytest.mark.parametrize(
    ("url", "start", "expected"),
    [
        (
            f"{BASE}/foi-ai/metropolitan-police/d/july-2022/anpr/",
            f"{BASE}/foi-ai/metropolitan-police/disclosure-log/",
            True,
        ),
        (
            f"{BASE}/foi-ai/metropolitan-police/d/july-2022/anpr/",
            f"{BASE}/foi-ai/af/accessing-information/published-items/?q=cctv",
            True,
        ),
        (
            f"{BASE}/foi-ai/cleveland-police/disclosure/2026/x/",
            f"{BASE}/foi-ai/metropolitan-police/disclosure-log/",
            False,
        ),
        (f"{BASE}/foi-ai/metropolitan-police/", f"{BASE}/foi-ai/metropolitan-police/disclosure-log/", False),
        (
            f"{BASE}/SysSiteAssets/foi-media/metropolitan-police/x.pdf",
            f"{BASE}/foi-ai/metropolitan-police/disclosure-log/",
            False,
        ),
        (
            "https://ico.org.uk/foi-ai/metropolitan-police/a/b/",
            f"{BASE}/foi-ai/metropolitan-police/disclosure-log/",
            False,
        ),
    ],
)
def test_which_links_are_responses(url: str, start: str, expected: bool) -> None:
    assert is_response_link(url, start) is expected


def test_northumbria_wording() -> None:
    html = """<html><body><main><h1>ANPR cameras on the A19</h1><h2>Disclosure Details</h2>
    <p>Dated: 14/03/2025</p><p>Reference: 1234/25</p>
    <p>You asked:</p><p>How many ANPR cameras does the force operate on the A19?</p>
    <p>In response:</p><p>Northumbria Police can neither confirm nor deny that it holds the information,
    by virtue of Section 24(2) and Section 31(3).</p></main></body></html>"""
    page = parse_detail(html, f"{BASE}/foi-ai/northumbria-police/disclosure-log/anpr-a19/")
    assert (page.reference, page.published, page.outcome) == (
        "1234/25",
        date(2025, 3, 14),
        "neither_confirm_nor_deny",
    )
    assert page.request == "How many ANPR cameras does the force operate on the A19?"
    assert page.exemptions == ["s24(2)", "s31(3)"]


def test_west_midlands_wording() -> None:
    html = """<html><body><main><h1>Body worn video cameras (0456/24)</h1><p>Published 2 May 2024</p>
    <h2>Request</h2><p>How many body worn video cameras were issued in 2023?</p>
    <h2>Response</h2><p>Please find the information below. The force issued 2,150 body worn video cameras.</p>
    </main></body></html>"""
    page = parse_detail(html, f"{BASE}/foi-ai/west-midlands-police/disclosure-log/bwv/")
    assert (page.reference, page.published, page.outcome) == ("0456/24", date(2024, 5, 2), "released")
    assert page.request == "How many body worn video cameras were issued in 2023?"
