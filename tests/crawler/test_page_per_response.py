"""page_per_response: an index and one page per response under question and answer headings.

Field-by-field parsing of saved ONS, TfL and National Archives pages, the heading and label readers,
the options, and real Scrapy crawls (in the crawl subprocess) of each site's copy on 127.0.0.1.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import func, select

from crawler.platforms.html_log import decode_html
from crawler.platforms.page import ParsedPage
from crawler.platforms.page_per_response import (
    PagePerResponseOptions,
    read_page,
    read_published,
    read_reference,
    split_sections,
)
from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import Attachment, CrawlRun, Response, ResponseVersion
from tests.conftest import FIXTURES, write_config

SITES = FIXTURES / "page_per_response"
EXPECTED = yaml.safe_load((SITES / "expected.yaml").read_text(encoding="utf-8"))
BASE = "https://www.example.gov.uk"

ONS_INDEX = "/aboutus/transparencyandgovernance/freedomofinformationfoi/publishedrequests"
ONS = {"link_pattern": r"/freedomofinformationfoi/(?!publishedrequests)[a-z0-9]+$"}
TFL_INDEX = "/corporate/transparency/freedom-of-information/foi-request-search"
TFL = {"link_pattern": r"/foi-request-detail\?referenceId=FOI-[\w-]+$"}
TNA_INDEX = "/about/freedom-of-information/information-requests/"
TNA = {"link_pattern": r"/about/freedom-of-information/information-requests/[a-z0-9-]+/$"}


# -- parsing saved pages, field by field --------------------------------------------------------
def _url(file: str) -> str:
    path = "/" + file.split("/", 1)[1].removesuffix("index.html")
    return BASE + path.replace("@", "?", 1)


@pytest.fixture(
    scope="module", params=EXPECTED["pages"], ids=lambda e: e["file"].split("/")[0] + "-" + e["title"][:30]
)
def parsed(request: pytest.FixtureRequest) -> tuple[dict[str, Any], ParsedPage]:
    entry = request.param
    html = decode_html((SITES / entry["file"]).read_bytes(), "utf-8")
    return entry, read_page(html, _url(entry["file"]))


def test_title(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.title == expected["title"]


def test_reference(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.reference == expected["reference"]


def test_published_date(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert page.published == date.fromisoformat(expected["published"])


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
        assert phrase in page.response and phrase not in page.request
    for chrome in EXPECTED["chrome"]:
        assert chrome.lower() not in (page.request + page.response).lower()
    assert not page.response.startswith(("Our Ref", "Request ID")), "label lines belong to the header"
    assert "\ufffd" not in page.request + page.response


def test_attachments(parsed: tuple[dict[str, Any], ParsedPage]) -> None:
    expected, page = parsed
    assert [url.removeprefix(BASE) for url, _ in page.attachments] == expected.get("attachments", [])


@pytest.mark.parametrize(
    "file",
    [
        "tfl/corporate/transparency/freedom-of-information/foi-request-detail@referenceId=FOI-2102-2324",
        "ons/aboutus/transparencyandgovernance/freedomofinformationfoi/publishedrequests",
    ],
)
def test_pages_that_are_not_responses_say_why(file: str) -> None:
    page = read_page((SITES / file).read_text(encoding="utf-8"), _url(file))
    assert page.problems


# -- headings and labels ------------------------------------------------------------------------
_OWN_WORDS = """<html><body><main><h1>Road closures in 2023</h1><p>Case reference: 2023-4471</p>
<h2>What you asked for</h2><p>A list of every road closure the council approved in 2023.</p>
<h2>What we told you</h2><p>The information you requested is provided below. There were 412 closures.</p>
</main></body></html>"""


def test_extra_headings_extend_the_defaults() -> None:
    assert read_page(_OWN_WORDS, BASE + "/x").request == ""
    options = PagePerResponseOptions(
        link_pattern="x", question_headings=("What you asked for",), answer_headings=("What we told you",)
    )
    page = read_page(_OWN_WORDS, BASE + "/x", options.question_headings, options.answer_headings)
    assert page.request == "A list of every road closure the council approved in 2023."
    assert page.response == "The information you requested is provided below. There were 412 closures."
    assert (page.reference, page.outcome, page.problems) == ("2023-4471", "released", [])


def test_sections_split_at_headings_inline_labels_and_headings_with_values() -> None:
    lines = [
        "FOI Request - Bins",
        "Request 101003400486",
        "How many bins were emptied?",
        "Response sent 3 May 2024",  # a label, not the answer heading
        "Response 28-10-2014",
        "1,204 bins.",
        "Rate this Page",
        "Contact Us",
    ]
    sections = split_sections(lines)
    assert sections.start == 1
    assert sections.question == ["How many bins were emptied?", "Response sent 3 May 2024"]
    assert sections.answer == ["1,204 bins."]
    inline = split_sections(["You asked: how many bins?", "We said: 1,204."])
    assert (inline.question, inline.answer) == (["how many bins?"], ["1,204."])


@pytest.mark.parametrize(
    ("lines", "reference"),
    [
        (["FOI Ref", "10936"], "10936"),
        (["FOI Reference: FOI/2022/4158"], "FOI/2022/4158"),
        (["FOI request reference: F0046722"], "F0046722"),
        (["Request ID: REQ06487"], "REQ06487"),
        (["TfL Ref: FOI-0451-2223"], "FOI-0451-2223"),
        (["Our Ref: 2018/571291"], "2018/571291"),
        (["Our reference FOI 20123607"], "FOI 20123607"),
        (["Request 101000291940"], "101000291940"),
        (["FOI request (FOIR-565731237)"], "FOIR-565731237"),
        (["References to CCTV in 2023 reports"], None),
    ],
)
def test_reference_labels(lines: list[str], reference: str | None) -> None:
    assert read_reference(lines, "", "")[0] == reference


@pytest.mark.parametrize(
    ("lines", "published"),
    [
        (["Response sent", "10 May 2022"], date(2022, 5, 10)),
        (["Requested Wed 29 November 2023", "Responded Mon 11 December 2023"], date(2023, 12, 11)),
        (["Response 28-10-2014"], date(2014, 10, 28)),
        (["Release date:", "2 September 2022"], date(2022, 9, 2)),
        (["Publication date: September 2016"], date(2016, 9, 1)),
        (["Received: 21 May 2020"], date(2020, 5, 21)),  # a received date only when nothing else
        (["Received: 21 May 2020", "Date published: 14 June 2020"], date(2020, 6, 14)),
        (["Dates of damage and duration of downtime 12/03/2024"], None),
        # a second label on the line of another (TfL FOI-2388-2324 as stored)
        (["Request ID: FOI-2388-2324 Date published: 26 October 2023"], date(2023, 10, 26)),
        (["Our ref: FOI-2388-2324 and the letter we published on 26 October 2023"], None),
    ],
)
def test_date_labels(lines: list[str], published: date | None) -> None:
    assert read_published(lines)[0] == published


@pytest.mark.parametrize(
    "options",
    [
        {"link_pattern": "(unclosed"},
        {"link_pattern": "x", "question_headings": [" "]},
        {"link_pattern": "x", "pagination": "auto"},
        {},
    ],
)
def test_options_are_strict(options: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        PagePerResponseOptions.model_validate(options)


# -- real crawls --------------------------------------------------------------------------------
def _source(source_id: str, url: str, options: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": source_id,
        "platform": "page_per_response",
        "authority": f"{source_id} authority",
        "url": url,
        "options": options,
        **extra,
    }


def _app(tmp_path: Path, database_url: str, sources: list[dict[str, Any]]) -> App:
    return open_app(write_config(tmp_path / "config", sources), database_url, tmp_path / "data")


def _crawl(app: App, source_id: str, mode: str = "full") -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, mode)


def _stored(app: App) -> dict[str | None, ResponseVersion]:
    with app.database.session() as session:
        return {r.reference: r.versions[-1] for r in session.scalars(select(Response)).all()}


def test_paginated_index_unchanged_recrawl_and_incremental(tmp_path: Path, database_url: str) -> None:
    with LocalSite(SITES / "ons") as site:
        app = _app(tmp_path, database_url, [_source("ons", site.url(ONS_INDEX), ONS)])
        first = _crawl(app, "ons")
        assert f"{ONS_INDEX}?page=2" in site.paths(200)
        second = _crawl(app, "ons")
        before = len(site.requests)
        incremental = _crawl(app, "ons", "incremental")
        fetched = [r.path for r in site.requests[before:] if r.path != "/robots.txt"]
    assert first.status == "succeeded", first.error
    assert (first.items, first.new, first.errors) == (4, 4, 0)
    assert set(_stored(app)) == {"FOI/2022/4158", "FOI/2022/3921", "FOI/2022/3870", "FOI/2021/2475"}
    assert "We therefore find s.31(1)(a) to be engaged" in _stored(app)["FOI/2022/4158"].response_text
    assert second.status == "succeeded", second.error
    assert (second.new, second.changed, second.withdrawn) == (0, 0, 0)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 4
    assert incremental.status == "succeeded", incremental.error
    assert fetched == [ONS_INDEX]


def test_broken_pages_are_recorded_and_attachments_read(tmp_path: Path, database_url: str) -> None:
    with LocalSite(SITES / "tfl") as site:
        options = {**TFL, "fetch_attachments": True}
        app = _app(tmp_path, database_url, [_source("tfl", site.url(TFL_INDEX), options)])
        summary = _crawl(app, "tfl")
        detail = "/corporate/transparency/freedom-of-information/foi-request-detail?referenceId="
        assert f"{detail}FOI-2298-2324" in site.paths(404)
        assert f"{detail}FOI-server-error-2324" in site.paths(500)
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.errors) == (3, 1)  # the 500; the 404 is recorded, not counted
    with app.database.session() as session:
        assert session.get_one(CrawlRun, summary.run_id).invalid_items == 1  # the maintenance page
        attachment = session.scalars(select(Attachment)).one()
        assert "Metroline: 9 per double deck, 6 per single deck" in (attachment.text or "")
    assert set(_stored(app)) == {"FOI-2351-2324", "FOI-1876-2324", "FOI-0157-2021"}


def test_an_oversize_attachment_is_an_error_and_the_response_is_kept(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "tfl"
    shutil.copytree(SITES / "tfl", root)
    # Larger than crawler.attachments.MAX_ATTACHMENT_BYTES (15 MB), which caps each attachment.
    (root / "cdn/static/cms/documents/foi-2351-2324-bus-cctv-camera-counts.pdf").write_bytes(
        b"%PDF-1.4\n" + b"0" * 16_000_000
    )
    with LocalSite(root) as site:
        options = {**TFL, "fetch_attachments": True}
        app = _app(tmp_path, database_url, [_source("tfl", site.url(TFL_INDEX), options)])
        summary = _crawl(app, "tfl")
    assert summary.status == "succeeded", summary.error
    with app.database.session() as session:
        attachment = session.scalars(select(Attachment)).one()
        assert attachment.text is None and "larger than the 15 MB download limit" in (attachment.error or "")
    assert _stored(app)["FOI-2351-2324"].title == "CCTV cameras on buses"


def test_a_page_in_the_wrong_encoding_is_stored_readable(tmp_path: Path, database_url: str) -> None:
    with LocalSite(SITES / "tna") as site:
        app = _app(tmp_path, database_url, [_source("tna", site.url(TNA_INDEX), TNA)])
        summary = _crawl(app, "tna")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.errors) == (3, 0)
    reading_room = _stored(app)["F0069811"]
    assert "The National Archives’ reading room visitor numbers are:" in reading_room.response_text
    assert "the café and shop" in reading_room.response_text and "\ufffd" not in reading_room.response_text
    assert reading_room.published == date(2024, 1, 1)


def test_an_empty_index_fails_unless_the_source_may_be_empty(tmp_path: Path, database_url: str) -> None:
    with LocalSite(SITES / "tna") as site:
        url = site.url(f"{TNA_INDEX}?page=9")
        app = _app(
            tmp_path,
            database_url,
            [_source("empty", url, TNA), _source("quiet", url, TNA, may_be_empty=True)],
        )
        failed, quiet = _crawl(app, "empty"), _crawl(app, "quiet")
    assert failed.status == "failed" and "layout may have changed" in (failed.error or "")
    assert quiet.status == "succeeded", quiet.error


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("FOI Request - Corporate Leadership Restructure", "Corporate Leadership Restructure"),
        # Moray's misprint (page_162979), and a title that only starts with the letters
        ("FO Request - Corporate Leadership Restructure", "Corporate Leadership Restructure"),
        ("FO requests in 2023", "FO requests in 2023"),
    ],
)
def test_title_prefix_is_dropped(heading: str, title: str) -> None:
    html = f"<html><body><main><h1>{heading}</h1><h2>Request</h2><p>Please send the report.</p>"
    html += "<h2>Response</h2><p>The report is attached.</p></main></body></html>"
    assert read_page(html, BASE + "/x").title == title


def test_an_outcome_line_without_its_heading_is_the_outcome_not_the_request() -> None:
    # The National Archives CAS-89271 as stored: the section headings lost, their contents kept
    html = """<html><body><main><h1>FCO 141 withdrawal internal and external correspondence</h1>
    <p>FOI request reference: CAS-89271</p><p>Publication date: July 2022</p>
    <p>I would also like to request copies of all TNA internal correspondence concerning the withdrawal.</p>
    <p>Information withheld.</p>
    <p>I can confirm that The National Archives holds information relevant to your request.</p>
    <p>Unfortunately, we are unable to provide you with this information.</p></main></body></html>"""
    page = read_page(html, BASE + "/x")
    assert (
        page.request
        == "I would also like to request copies of all TNA internal correspondence concerning the withdrawal."
    )
    assert page.response.startswith("I can confirm that The National Archives holds")
    assert page.outcome == "refused"
