"""Listing links: documents by what the server says, redirecting links, the bounded link log,
the "FOI request" title prefix, and the one phrase ``sources check`` gives an operator."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from crawler.config import load_sources
from crawler.pagetext import main_content, parse_page
from crawler.platforms.html_log import HtmlLogOptions
from crawler.platforms.listing import (
    MAX_LOGGED_LINKS,
    LinkLog,
    document_links,
    download_filename,
    is_attachment,
    is_document_link,
    is_redirect_link,
)
from crawler.platforms.page_per_response import page_title
from crawler.spiders.police_soh import PoliceSohSpider
from monitor.sources.checks import filled_percent, what_to_fix
from tests.conftest import REPO


@pytest.mark.parametrize(
    ("url", "content_type", "disposition", "expected"),
    [
        ("https://barnet.gov.uk/media/4411/download", "application/pdf", None, True),
        ("https://barnet.gov.uk/media/4411/download", "text/html; charset=utf-8", None, False),
        ("https://barnet.gov.uk/media/4411/download", None, None, False),
        ("https://x.gov.uk/files/foi.pdf", None, None, True),
        # An error page at a .pdf address is a page: the server's word wins over the extension.
        ("https://x.gov.uk/files/foi.pdf", "text/html", None, False),
        # octet-stream says nothing: a download filename, else the extension, decides.
        ("https://x.gov.uk/get?id=5", "application/octet-stream", 'attachment; filename="FOI 12.docx"', True),
        ("https://x.gov.uk/get?id=5", "application/octet-stream", None, False),
        ("https://x.gov.uk/files/foi.xlsx", "application/octet-stream", None, True),
        (
            "https://x.gov.uk/get",
            "Application/VND.openxmlformats-officedocument.spreadsheetml.sheet",
            None,
            True,
        ),
    ],
)
def test_is_attachment_follows_the_server(
    url: str, content_type: str | None, disposition: str | None, expected: bool
) -> None:
    assert is_attachment(url, content_type, disposition) is expected


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="foi-6312721.pdf"', "foi-6312721.pdf"),
        ("attachment; filename*=UTF-8''FOI%20response%20%C2%A3.pdf", "FOI response £.pdf"),
        ("inline", None),
        ("", None),
    ],
)
def test_download_filename(disposition: str, expected: str | None) -> None:
    assert download_filename(disposition) == expected


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("https://barnet.gov.uk/media/4411/download", "Download", True),
        ("https://barnet.gov.uk/media/4411/download", "Download (PDF, 120KB)", True),
        ("https://x.gov.uk/a/letter.pdf", "The letter", True),
        ("https://x.gov.uk/foi-requests/6312721", "Council's CCTV system", False),
        # A page with an extension the server need not be asked about.
        ("https://x.gov.uk/foi/download.html", "Download", False),
    ],
)
def test_is_document_link(url: str, text: str, expected: bool) -> None:
    assert is_document_link(url, text) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.ons.gov.uk/redir/eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.sig", True),
        ("https://www.ons.gov.uk/redir?url=/aboutus/x&term=cctv", True),
        ("https://www.ons.gov.uk/aboutus/redirection-policy", False),
        ("https://www.ons.gov.uk/redirects-explained", False),
    ],
)
def test_is_redirect_link(url: str, expected: bool) -> None:
    assert is_redirect_link(url) is expected


def test_link_log_is_bounded_counts_everything_and_overrules_a_redirect() -> None:
    log = LinkLog()
    for number in range(MAX_LOGGED_LINKS + 20):
        log.reject(f"https://x.uk/nav/{number}", "nav", "navigation (outside the main content)")
    log.accept("https://x.uk/redir/abc", "CCTV", "redirect, followed")
    log.accept("https://x.uk/redir/abc", "CCTV", "redirect, followed")  # seen twice, counted once
    log.overrule("https://x.uk/redir/abc", "CCTV", "off-host: redirects to https://evil.example/")
    record = log.as_dict()
    assert len(record["rejected"]) == MAX_LOGGED_LINKS
    assert record["rejected_total"] == MAX_LOGGED_LINKS + 21
    assert record["seen"] == MAX_LOGGED_LINKS + 21
    assert record["kinds"] == {"redirect, followed": 0}
    assert record["accepted"] == []


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        (
            "Freedom of Information request on cybersecurity",
            "Freedom of Information request on cybersecurity",
        ),
        ("FOI request about parking fines", "FOI request about parking fines"),
        ("Freedom of Information request - CCTV cameras", "CCTV cameras"),
        ("FOI Request: Parking permits", "Parking permits"),
        ("Freedom of Information Request CCTV costs", "CCTV costs"),
        ("FOI review 2023/45 parking", "2023/45 parking"),
    ],
)
def test_the_foi_request_prefix_never_leaves_half_a_title(heading: str, title: str) -> None:
    root = parse_page(f"<html><body><main><h1>{heading}</h1><p>Text</p></main></body></html>")
    assert page_title(root, main_content(root)) == title


NONE: dict[str, int] = {}
FULL = {"reference": 4, "published": 4, "request": 4, "outcome": 4}


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (
            ("failed", 0, 0, 0, 1, NONE, "the start page could not be fetched: 404", {}),
            "start page unreachable",
        ),
        (
            (
                "failed",
                0,
                0,
                0,
                0,
                NONE,
                "no responses listed",
                {"rejected": [{"reason": "does not match link_pattern r'/foi/\\d+$'"}] * 7},
            ),
            "link_pattern matches none of 7 links",
        ),
        (("failed", 3, 0, 0, 0, NONE, "none could be read", {}), "none read"),
        (("succeeded", 4, 4, 0, 0, {"reference": 4}, None, {}), "fields thin (25%): least read is published"),
        (("succeeded", 4, 4, 0, 0, FULL, None, {}), "nothing"),
    ],
)
def test_what_to_fix(args: tuple, phrase: str) -> None:  # type: ignore[type-arg]
    assert phrase in what_to_fix(*args)


def test_filled_percent() -> None:
    assert filled_percent(FULL, 4) == 100
    assert filled_percent({"reference": 2, "request": 4}, 4) == 38
    assert filled_percent(NONE, 0) is None


def test_document_links_are_the_download_links_without_extension() -> None:
    html = (
        "<html><body><nav><a href='/media/1/download'>Download</a></nav><main>"
        "<p><a href='/media/4411/download'>Download (PDF, 2 KB)</a></p>"
        "<p><a href='/files/letter.pdf'>Download the letter</a></p>"
        "<p><a href='/foi-requests/5980133'>Pest control call-outs</a></p>"
        "</main></body></html>"
    )
    found = document_links(parse_page(html), "https://www.barnet.gov.uk/foi-requests/6312721")
    assert found == (("https://www.barnet.gov.uk/media/4411/download", "Download (PDF, 2 KB)"),)


@pytest.mark.parametrize("reference", ["FOI201408", "FOIR-125542778", "FOI-70688433"])
def test_the_shipped_hastings_source_takes_every_reference_shape(reference: str) -> None:
    shipped = {s.id: s for s in load_sources(REPO / "config")}["hastings-borough-council"]
    options = HtmlLogOptions.model_validate(shipped.options)
    assert options.is_response(
        f"https://www.hastings.gov.uk/my-council/freedom-of-information/date/?id={reference}"
    )
    assert not options.is_response(
        "https://www.hastings.gov.uk/my-council/freedom-of-information/date/?year=2014"
    )


def test_a_page_is_parsed_once_for_all_its_listing_readers() -> None:
    """A police landing page that is the log itself is read for log links, then as the listing;
    an index page is read as a response, then as a listing: one tree serves them all."""
    spider = PoliceSohSpider(source="met", url="https://www.met.police.uk/log/", authority="Met")
    page = HtmlResponse("https://www.met.police.uk/log/", body=b"<a href='/log/?page=2'>Next</a>")
    other = HtmlResponse("https://www.met.police.uk/log/?page=2", body=b"<p>page 2</p>")
    tree = spider.page_soup(page)
    assert spider.next_pages(page) == ["https://www.met.police.uk/log/?page=2"]
    assert spider.page_soup(page) is tree
    assert spider.page_soup(other) is not tree
