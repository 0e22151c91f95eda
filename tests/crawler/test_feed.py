"""RSS and Atom logs read field by field from saved feeds and response pages."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from crawler.platforms.feed import (
    FeedError,
    FeedOptions,
    feed_date,
    parse_feed,
    read_entry,
    with_page,
)
from crawler.platforms.page import ParsedPage, parse_detail
from tests.conftest import FIXTURES

SITE = FIXTURES / "feed" / "site"
EXPECTED = yaml.safe_load((FIXTURES / "feed" / "expected.yaml").read_text(encoding="utf-8"))
BASE = "https://www.severnsidetransport.org.uk"
TRANSPORT_FEED = "/transport/foi/releases.atom"
TRANSPORT_OPTIONS = {"reference_pattern": r"FOI-\d{4,}"}


def _feed(name: str, url: str = BASE) -> Any:
    path, _, query = name.partition("@")
    return parse_feed((SITE / name).read_bytes(), url + "/" + path + (f"?{query}" if query else ""))


# -- entries read field by field ----------------------------------------------------------------
def _transport_entries() -> list[Any]:
    return [
        *_feed("transport/foi/releases.atom").entries,
        *_feed("transport/foi/releases.atom@page=2").entries,
    ]


def _read_council(index: int) -> ParsedPage:
    return read_entry(_feed("council/disclosure-log.rss").entries[index])


def _read_transport(index: int) -> ParsedPage:
    path = EXPECTED["transport"][index]["path"]
    entry = _transport_entries()[index]
    assert entry.link == BASE + path
    html = (SITE / path.strip("/") / "index.html").read_text(encoding="utf-8")
    pattern = FeedOptions.model_validate(TRANSPORT_OPTIONS).reference_regex()
    return with_page(entry, parse_detail(html, entry.link), pattern)


CASES = [("council", i) for i in range(len(EXPECTED["council"]))] + [
    ("transport", i) for i in range(len(EXPECTED["transport"]))
]


@pytest.fixture(scope="module", params=CASES, ids=lambda case: f"{case[0]}-{case[1]}")
def parsed(request: pytest.FixtureRequest) -> tuple[dict[str, Any], ParsedPage]:
    feed, index = request.param
    read = _read_council if feed == "council" else _read_transport
    return EXPECTED[feed][index], read(index)


def test_title(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.title == expected["title"]


def test_reference(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.reference == expected["reference"]


def test_published_is_the_day_in_london(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.published == date.fromisoformat(expected["published"])


def test_outcome_and_exemptions(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert (page.outcome, page.exemptions) == (expected["outcome"], expected["exemptions"])


def test_request_and_response_text(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert expected["request"] in page.request
    assert expected["response"] in page.response
    assert expected["response"] not in page.request
    assert not page.problems


def test_attachments_and_enclosures(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    wanted = [url if url.startswith("http") else BASE + url for url in expected["attachments"]]
    assert [url for url, _ in page.attachments] == wanted


def test_rss_entries_keep_feed_order_and_their_links() -> None:
    feed = _feed("council/disclosure-log.rss")
    assert feed.kind == "rss" and feed.next_url is None
    assert [entry.url for entry in feed.entries] == [e["url"] for e in EXPECTED["council"]]


def test_atom_feed_names_its_next_page() -> None:
    assert _feed("transport/foi/releases.atom").next_url == BASE + TRANSPORT_FEED + "?page=2"
    assert _feed("transport/foi/releases.atom@page=2").next_url is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tue, 01 Jul 2025 23:30:00 +0000", date(2025, 7, 2)),  # BST: already 2 July in London
        ("Tue, 14 Jan 2025 23:30:00 GMT", date(2025, 1, 14)),
        ("Wed, 14 May 2025 12:00:00 -0000", date(2025, 5, 14)),
        ("2025-06-30T23:05:00Z", date(2025, 7, 1)),
        ("2025-06-30T16:05:00+01:00", date(2025, 6, 30)),
        ("2025-06-30", date(2025, 6, 30)),
        ("Mon, 3 February 2025 10:00:00 GMT", date(2025, 2, 3)),
        ("sometime last week", None),
        ("", None),
        (None, None),
    ],
)
def test_feed_dates(text: str | None, expected: date | None) -> None:
    assert feed_date(text) == expected


def test_atom_text_constructs() -> None:
    feed = _feed("transport/foi/releases.atom")
    xhtml = feed.entries[2]  # <summary type="xhtml">
    assert "<strong>body worn cameras</strong>" in xhtml.html
    assert read_entry(xhtml).response.startswith("FOI-7752: how many body worn cameras")
    plain = feed.entries[1]  # <summary type="text">
    assert plain.html == "FOI-7769: income from advertising on bus shelters in 2024/25."
    assert xhtml.enclosures == (
        (BASE + "/transport/foi/files/FOI-7752-body-worn-video-policy.pdf", "Body worn video policy (PDF)"),
    )


def test_rss_1_0_and_repeated_items() -> None:
    body = b"""<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
             xmlns:dc="http://purl.org/dc/elements/1.1/">
      <channel rdf:about="https://example.gov.uk/foi"><title>Log</title></channel>
      <item rdf:about="https://example.gov.uk/foi/1"><title>CCTV &amp; ANPR</title>
        <link>https://example.gov.uk/foi/1</link><dc:date>2025-03-04T09:00:00Z</dc:date>
        <description>Request: How many cameras?
          Response: The information you requested is below: 12.</description>
      </item>
      <item rdf:about="https://example.gov.uk/foi/1"><title>CCTV &amp; ANPR</title>
        <link>https://example.gov.uk/foi/1</link></item>
    </rdf:RDF>"""
    (entry,) = parse_feed(body, "https://example.gov.uk/foi.rdf").entries
    assert (entry.title, entry.published) == ("CCTV & ANPR", date(2025, 3, 4))
    page = read_entry(entry)
    assert (page.request, page.response) == (
        "How many cameras?",
        "The information you requested is below: 12.",
    )


def test_rss_0_91_with_its_doctype_is_read() -> None:
    body = (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications'
        b'//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n'
        b'<rss version="0.91"><channel>'
        b"<item><title>CCTV fees \xa310</title><link>https://example.gov.uk/foi/7</link></item></channel></rss>"
    )
    (entry,) = parse_feed(body, "https://example.gov.uk/foi.rss").entries
    assert (entry.title, entry.link) == ("CCTV fees £10", "https://example.gov.uk/foi/7")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("garbage/disclosure-log.rss", "not well-formed XML"),
        ("attack/disclosure-log.rss", "declares XML entities"),
        ("attack/external-entity.rss", "declares XML entities"),
    ],
)
def test_unreadable_feeds_are_refused_with_the_reason(name: str, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        _feed(name)


def test_documents_that_are_not_feeds() -> None:
    with pytest.raises(FeedError, match=r"<html>, not an RSS or Atom feed"):
        parse_feed(b"<html><body><p>Moved</p></body></html>", BASE)
    with pytest.raises(FeedError, match="without a <channel>"):
        parse_feed(b'<rss version="2.0"></rss>', BASE)
    assert parse_feed(b"", BASE).entries == []
    assert _feed("empty/disclosure-log.rss").entries == []


def test_windows_1252_feed_without_declaration_is_read() -> None:
    entries = _feed("encoding/disclosure-log.rss").entries
    first = read_entry(entries[0])
    assert "costs £48,500 a year" in first.response
    assert first.reference == "FOI/2291"
    declared = "<?xml version='1.0' encoding='windows-1252'?><rss><channel><item><title>Fee \u00a310</title>"
    body = (declared + "<link>https://e.gov.uk/1</link></item></channel></rss>").encode("cp1252")
    assert parse_feed(body, BASE).entries[0].title == "Fee £10"


def test_reference_pattern_takes_its_group_or_the_match() -> None:
    entry = _feed("transport/foi/releases.atom").entries[0]
    assert read_entry(entry, re.compile(r"FOI-(\d+)")).reference == "7781"
    assert read_entry(entry, re.compile(r"FOI-\d+")).reference == "FOI-7781"
    with pytest.raises(ValidationError, match="not a regular expression"):
        FeedOptions.model_validate({"reference_pattern": "FOI-(\\d+"})
    with pytest.raises(ValidationError):
        FeedOptions.model_validate({"fetch_page": False})


def test_an_unreadable_page_falls_back_to_the_entry_text() -> None:
    entry = _feed("council/disclosure-log.rss").entries[1]
    moved = ParsedPage(url=entry.url, title="This page has moved", problems=["no response text found"])
    page = with_page(entry, moved)
    assert page.reference == "FOI 2025/0398" and not page.problems
    bare = _one_entry('<entry><title>Grass cutting</title><link href="/g"/><id>urn:1</id></entry>')
    assert with_page(bare, moved).problems == ["linked page: no response text found"]


def test_an_entry_with_neither_link_nor_reference_is_not_a_response() -> None:
    text = "<summary>The information you requested is below: grass is cut every two weeks.</summary>"
    entry = _one_entry(f"<entry><title>Grass cutting</title><id>urn:uuid:1</id>{text}</entry>")
    assert entry.url == BASE + "/#urn:uuid:1" and entry.link is None
    assert read_entry(entry).problems == ["neither a link of its own nor a reference to tell it apart"]


def _one_entry(xml: str) -> Any:
    body = f'<feed xmlns="http://www.w3.org/2005/Atom">{xml}</feed>'.encode()
    (entry,) = parse_feed(body, BASE).entries
    return entry
