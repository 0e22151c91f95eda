"""Civica iCasework getcases: parsers on saved XML and JSON answers, and real crawls of them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from crawler.platforms.icasework import (
    Case,
    IcaseworkFormatError,
    IcaseworkOptions,
    case_exemptions,
    case_outcome,
    case_published,
    case_response_text,
    case_title,
    case_url,
    getcases_url,
    parse_case,
    parse_getcases,
)
from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import Attachment, Response, ResponseVersion
from tests.conftest import FIXTURES, write_config

SITE = FIXTURES / "icasework" / "site"
PORTAL = "https://exampleportal.icasework.com"

# reference -> what the feed says of the case (the same six cases in the XML and the JSON answer)
CASES = {
    "512043": {
        "title": "CCTV cameras in council car parks",
        "published": date(2025, 1, 27),  # the response letter's date
        "outcome": "released",
        "exemptions": [],
        "documents": ["FOI 512043 response letter"],
    },
    "512107": {
        "title": "Hikvision cameras on council buildings",
        "published": date(2025, 2, 4),
        "outcome": "partially_released",
        "exemptions": ["s31(1)(a)", "s24(1)"],
        "documents": ["FOI 512107 response", "Hikvision camera list (redacted)"],
    },
    "512230": {
        "title": "Requests from the police for town centre CCTV footage",
        "published": date(2025, 1, 13),  # no documents: the date received
        "outcome": "partially_released",
        "exemptions": [],
        "documents": [],
    },
    "512311": {
        "title": "Public toilets: opening hours and cleaning contract",
        "published": date(2025, 2, 10),
        "outcome": "released",
        "exemptions": [],
        "documents": ["Public toilet opening hours"],
    },
    "512390": {
        "title": "Pothole compensation claims 2022 to 2024",
        "published": date(2025, 2, 14),
        "outcome": "refused",
        "exemptions": ["s12"],
        "documents": ["FOI 512390 refusal notice"],
    },
    "512402": {
        "title": "Body worn cameras used by civil enforcement officers",
        "published": date(2025, 1, 21),
        "outcome": "released",
        "exemptions": [],
        "documents": [],
    },
}
PUBLISHED = sorted(set(CASES) - {"512402"})  # 512402 is marked "not for the disclosure log"


def _cases(folder: str) -> dict[str, Case]:
    cases = [parse_case(record) for record in parse_getcases((SITE / folder / "getcases").read_bytes())]
    return {case.reference: case for case in cases}


# -- addresses and options ------------------------------------------------------------------------
def test_getcases_url_from_a_portal_address() -> None:
    options = IcaseworkOptions(account="example", case_type="FOI", format="json", days=14)
    url = getcases_url(f"{PORTAL}/", options)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{PORTAL}/getcases"
    assert parse_qsl(parts.query) == [("db", "example"), ("Type", "FOI"), ("Format", "json"), ("Days", "14")]


def test_getcases_url_keeps_the_source_parameters_but_the_options_win() -> None:
    options = IcaseworkOptions(since=date(2024, 4, 1))
    url = getcases_url("https://uatportal.icasework.com/getcases?db=test&Format=json", options)
    assert parse_qsl(urlsplit(url).query) == [("db", "test"), ("Format", "xml"), ("From", "2024-04-01")]
    assert urlsplit(url).path == "/getcases"


def test_case_url_names_the_case() -> None:
    case = _cases("council")["512043"]
    url = case_url(f"{PORTAL}/", IcaseworkOptions(account="example"), case)
    assert url == f"{PORTAL}/getcases?db=example&CaseId=512043"


@pytest.mark.parametrize(
    "bad",
    [{"format": "csv"}, {"days": 0}, {"days": 7, "since": "2024-01-01"}, {"type": "FOI"}],
)
def test_options_are_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        IcaseworkOptions.model_validate(bad)


# -- the feed, XML and JSON -----------------------------------------------------------------------
@pytest.fixture(params=["council", "council-json"], ids=["xml", "json"])
def feed(request: pytest.FixtureRequest) -> dict[str, Case]:
    return _cases(request.param)


def test_every_case_is_read(feed: dict[str, Case]) -> None:
    assert sorted(feed) == sorted(CASES)


@pytest.mark.parametrize("reference", sorted(CASES))
def test_title(feed: dict[str, Case], reference: str) -> None:
    assert case_title(feed[reference]) == CASES[reference]["title"]


@pytest.mark.parametrize("reference", sorted(CASES))
def test_published(feed: dict[str, Case], reference: str) -> None:
    assert case_published(feed[reference]) == CASES[reference]["published"]


@pytest.mark.parametrize("reference", sorted(CASES))
def test_outcome(feed: dict[str, Case], reference: str) -> None:
    assert case_outcome(feed[reference]) == CASES[reference]["outcome"]


@pytest.mark.parametrize("reference", sorted(CASES))
def test_exemptions(feed: dict[str, Case], reference: str) -> None:
    assert case_exemptions(feed[reference]) == CASES[reference]["exemptions"]


@pytest.mark.parametrize("reference", sorted(CASES))
def test_documents(feed: dict[str, Case], reference: str) -> None:
    documents = feed[reference].documents
    assert [d.name for d in documents] == CASES[reference]["documents"]
    assert all(d.url.startswith(f"{PORTAL}/servlet/servlets.getImg?ref=D") for d in documents)


def test_case_fields(feed: dict[str, Case]) -> None:
    case = feed["512107"]
    assert (case.case_id, case.reference, case.case_type) == ("512107", "512107", "Freedom of Information")
    assert case.status == "Some information sent and some withheld"
    assert case.received == date(2025, 1, 8)
    assert case.request.startswith("Does the council use CCTV cameras made by Hikvision?")
    assert case.response.splitlines()[0] == (
        "We can confirm that the council uses 23 CCTV cameras made by Hikvision, on 7 operational buildings."
    )
    assert case.classifications == (("Community safety", "CCTV"), ("About the council", "Council buildings"))
    assert [d.mime_type for d in case.documents] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    assert case.documents[0].dated == date(2025, 2, 4)
    assert [c.publish for c in feed.values()].count(False) == 1 and not feed["512402"].publish


def test_the_callers_token_is_not_kept_in_document_urls(feed: dict[str, Case]) -> None:
    url = feed["512107"].documents[0].url
    assert "access_token" not in url
    assert url == f"{PORTAL}/servlet/servlets.getImg?ref=D301342&bin=Y&auth=0&db=example"


def test_a_case_without_response_text_says_what_the_feed_says(feed: dict[str, Case]) -> None:
    assert case_response_text(feed["512390"]).splitlines() == [
        "Outcome: Refused - cost limit exceeded (section 12).",
        "Documents published: FOI 512390 refusal notice.",
        "Classifications: Roads and transport: Potholes; Roads and transport: Insurance claims.",
    ]
    assert case_response_text(feed["512043"]) == feed["512043"].response


def test_wrapped_json_and_plain_lists_are_read() -> None:
    body = (
        b'{"Cases": {"Case": {"CaseId": 7, "Label": "CCTV", "Classifications": ["CCTV"],'
        b' "Documents": {"Document": [{"Name": "Letter", "URL": "https://x.example/d?ref=1"}]}}}}'
    )
    case = parse_case(parse_getcases(body)[0])
    assert (case.reference, case.classifications) == ("7", (("", "CCTV"),))
    assert [(d.name, d.url) for d in case.documents] == [("Letter", "https://x.example/d?ref=1")]


def test_a_case_without_reference_is_an_error() -> None:
    with pytest.raises(IcaseworkFormatError):
        parse_case({"Label": "No reference", "Status": "All information sent"})


def test_an_empty_feed_has_no_cases() -> None:
    assert parse_getcases((SITE / "empty" / "getcases").read_bytes()) == []


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("garbage", "not well-formed XML"),
        ("garbage-json", "not valid JSON"),
        ("billion-laughs", "refused"),
        ("external-entity", "refused"),
    ],
)
def test_what_is_not_a_case_list_is_an_error(folder: str, message: str) -> None:
    with pytest.raises(IcaseworkFormatError, match=message):
        parse_getcases((SITE / folder / "getcases").read_bytes())


@pytest.mark.parametrize(
    "body", [b"<Reports><Report/></Reports>", b'{"error": "unknown db"}', b"[1, 2]", b""]
)
def test_other_documents_are_errors(body: bytes) -> None:
    with pytest.raises(IcaseworkFormatError):
        parse_getcases(body)


# -- real crawls ----------------------------------------------------------------------------------
def _source(source_id: str, url: str, **extra: object) -> dict[str, object]:
    options = {"account": "example", "case_type": "FOI", **extra.pop("options", {})}  # type: ignore[dict-item]
    return {
        "id": source_id,
        "platform": "icasework",
        "authority": "Example Borough Council",
        "url": url,
        "options": options,
        **extra,
    }


def _app(tmp_path: Path, database_url: str, sources: list[dict[str, object]]) -> App:
    return open_app(write_config(tmp_path / "config", sources), database_url, tmp_path / "data")


def _crawl(app: App, source_id: str, mode: str = "full") -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, mode)


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite(SITE) as served:
        served.content_types["getcases"] = "text/xml;charset=UTF-8"
        yield served


@pytest.mark.parametrize(("folder", "format"), [("council", "xml"), ("council-json", "json")])
def test_full_crawl_stores_every_published_case(
    tmp_path: Path, database_url: str, site: LocalSite, folder: str, format: str
) -> None:
    if format == "json":
        site.content_types["getcases"] = "application/json;charset=UTF-8"
    app = _app(
        tmp_path, database_url, [_source("council", site.url(f"/{folder}/"), options={"format": format})]
    )
    summary = _crawl(app, "council")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (5, 5, 0)
    [getcases] = [p for p in site.paths(200) if "getcases" in p]
    assert f"/{folder}/getcases?db=example&Type=FOI&Format={format}&Days=30" == getcases
    with app.database.session() as session:
        assert sorted(session.scalars(select(Response.reference))) == PUBLISHED
        version = session.scalars(
            select(ResponseVersion).where(ResponseVersion.title.startswith("Hikvision"))
        ).one()
        assert version.authority == "Example Borough Council"
        assert version.url == site.url(f"/{folder}/getcases?db=example&CaseId=512107")
        assert version.published == date(2025, 2, 4)
        assert (version.outcome, version.exemptions) == ("partially_released", ["s31(1)(a)", "s24(1)"])
        assert "23 CCTV cameras made by Hikvision" in version.response_text
        assert [a.content_type for a in version.attachments] == [
            "application/pdf",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ]


def test_unchanged_recrawl_stores_no_new_version(tmp_path: Path, database_url: str, site: LocalSite) -> None:
    app = _app(tmp_path, database_url, [_source("council", site.url("/council/"))])
    _crawl(app, "council")
    second = _crawl(app, "council")
    assert second.status == "succeeded", second.error
    assert (second.items, second.new, second.changed, second.withdrawn) == (5, 0, 0, 0)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 5


def test_incremental_crawl_skips_known_cases(tmp_path: Path, database_url: str, site: LocalSite) -> None:
    app = _app(tmp_path, database_url, [_source("council", site.url("/council/"))])
    _crawl(app, "council")
    summary = _crawl(app, "council", "incremental")
    assert summary.status == "succeeded", summary.error
    assert summary.items == 0 and summary.new == 0


def test_an_empty_feed_fails_unless_the_source_may_be_empty(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    url = site.url("/empty/")
    app = _app(tmp_path, database_url, [_source("empty", url), _source("quiet", url, may_be_empty=True)])
    failed = _crawl(app, "empty")
    assert failed.status == "failed"
    assert "no responses listed" in (failed.error or "")
    assert _crawl(app, "quiet").status == "succeeded"


@pytest.mark.parametrize(
    ("folder", "format", "message"),
    [
        ("garbage", "xml", "not well-formed XML"),
        ("garbage-json", "json", "not valid JSON"),
        ("billion-laughs", "xml", "refused: the XML declares entities"),
        ("external-entity", "xml", "refused: the XML declares entities"),
    ],
)
def test_an_unreadable_or_hostile_feed_fails_the_run_saying_so(
    tmp_path: Path, database_url: str, site: LocalSite, folder: str, format: str, message: str
) -> None:
    source = _source("bad", site.url(f"/{folder}/"), may_be_empty=True, options={"format": format})
    app = _app(tmp_path, database_url, [source])
    summary = _crawl(app, "bad")
    assert summary.status == "failed"
    assert "iCasework getcases answer unreadable" in (summary.error or "")
    assert message in (summary.error or "")
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 0


def test_a_failing_feed_fails_the_run(tmp_path: Path, database_url: str, site: LocalSite) -> None:
    site.overrides["/council/getcases"] = 500
    app = _app(tmp_path, database_url, [_source("council", site.url("/council/"))])
    summary = _crawl(app, "council")
    assert summary.status == "failed"
    assert "start page could not be fetched" in (summary.error or "")


def test_documents_are_read_by_their_mime_type_and_a_missing_one_is_recorded(
    tmp_path: Path, database_url: str
) -> None:
    root = tmp_path / "site"
    with LocalSite(root) as served:
        # The documents live on the portal's host: serve them from here too.
        shutil.copytree(SITE, root)
        feed = root / "council" / "getcases"
        feed.write_text(feed.read_text(encoding="utf-8").replace(PORTAL, served.base_url), encoding="utf-8")
        source = _source("council", served.url("/council/"), options={"fetch_attachments": True})
        app = _app(tmp_path, database_url, [source])
        summary = _crawl(app, "council")
        fetched = served.paths()
    assert summary.status == "succeeded", summary.error
    assert summary.items == 5
    with app.database.session() as session:
        attachments = {a.name: a for a in session.scalars(select(Attachment))}
        assert "46 CCTV cameras across its 12 pay and display car parks" in (
            attachments["FOI 512043 response letter"].text or ""
        )
        assert "404" in (attachments["FOI 512390 refusal notice"].error or "")
        assert attachments["Hikvision camera list (redacted)"].text is None
    # chosen by the MIME type in the feed (the URLs have no extension): the PDFs and the CSV, not the XLSX
    assert [p for p in fetched if "D301517" in p]  # the CSV
    assert not [p for p in fetched if "D301343" in p]  # the spreadsheet
