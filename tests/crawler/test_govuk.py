"""GOV.UK FOI releases: parsers on saved search and content API answers, and real crawls of them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from crawler.normalise import classify_outcome, parse_exemptions
from crawler.platforms.govuk import (
    GovukFormatError,
    GovukOptions,
    content_url,
    parse_release,
    parse_search_page,
    release_url,
    search_url,
)
from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import CrawlRun, Response, ResponseVersion
from storage.problems import problems_of_run
from tests.conftest import FIXTURES, write_config

SITE = FIXTURES / "govuk" / "site"
CONTENT = SITE / "api" / "content" / "government" / "publications"
WWW = "https://www.gov.uk"
CCTV_PAGE_1 = next(SITE.glob("api/search.json@*q=cctv*start=0*"))

# slug -> what the release's content item says; the first five are the "cctv" search, newest first
RELEASES = {
    "cctv-and-anpr-cameras-on-the-strategic-road-network": {
        "organisation": "National Highways",
        "published": date(2025, 1, 9),
        "outcome": "released",
        "exemptions": [],
        "attachments": ["camera-counts-by-region.csv"],
    },
    "hikvision-cctv-cameras-on-the-central-government-estate": {
        "organisation": "Cabinet Office",
        "published": date(2024, 11, 21),
        "outcome": "partially_released",
        "exemptions": ["s24(1)", "s31(1)(a)"],
        "attachments": ["FOI2024-08817_response.pdf"],
    },
    "cctv-coverage-at-hmp-wandsworth": {
        "organisation": "HM Prison and Probation Service",
        "published": date(2024, 8, 14),
        "outcome": "refused",
        "exemptions": ["s31(1)(f)", "s43(2)"],
        "attachments": ["FOI-240611-HMP-Wandsworth-CCTV.pdf"],
    },
    "ex-regular-service-personnel-in-the-army-reserve": {
        "organisation": "Ministry of Defence",
        "published": date(2024, 6, 3),
        "outcome": "released",
        "exemptions": [],
        "attachments": [],
    },
    "consultancy-spending-on-the-levelling-up-fund": {
        "organisation": "Ministry of Housing, Communities and Local Government",
        "published": date(2024, 3, 27),
        "outcome": "not_held",
        "exemptions": [],
        "attachments": [],
    },
}


def _item(slug: str) -> dict[str, object]:
    return json.loads((CONTENT / slug).read_text(encoding="utf-8"))


def _release(slug: str):
    return parse_release((CONTENT / slug).read_bytes(), f"{WWW}/api/content/government/publications/{slug}")


# -- addresses and options ------------------------------------------------------------------------
def test_search_url_asks_for_foi_releases_newest_first_with_the_fields_read() -> None:
    options = GovukOptions(query="cctv", page_size=20, organisations=["home-office", "cabinet-office"])
    url = search_url("https://www.gov.uk/search/transparency?keywords=x", options, 40)
    parts = urlsplit(url)
    assert (parts.netloc, parts.path) == ("www.gov.uk", "/api/search.json")
    assert parse_qsl(parts.query) == [
        ("filter_content_store_document_type", "foi_release"),
        ("filter_organisations", "home-office"),
        ("filter_organisations", "cabinet-office"),
        ("q", "cctv"),
        ("count", "20"),
        ("start", "40"),
        ("order", "-public_timestamp"),
        ("fields", "content_id,title,link,description,public_timestamp,organisations"),
    ]


def test_search_url_without_a_query_lists_every_release() -> None:
    assert "q=" not in search_url(WWW, GovukOptions(), 0)


def test_content_and_page_addresses_use_the_source_host() -> None:
    link = "/government/publications/cctv-coverage-at-hmp-wandsworth"
    assert content_url("http://127.0.0.1:8000/", link) == f"http://127.0.0.1:8000/api/content{link}"
    assert release_url("https://www.gov.uk/anything", link) == f"{WWW}{link}"


@pytest.mark.parametrize("bad", [{"page_size": 0}, {"page_size": 1501}, {"query_text": "cctv"}])
def test_options_are_checked(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        GovukOptions.model_validate(bad)


# -- search API -----------------------------------------------------------------------------------
def test_search_page_fields() -> None:
    page = parse_search_page(CCTV_PAGE_1.read_bytes())
    assert (page.total, page.start, page.next_start()) == (5, 0, 2)
    first = page.results[0]
    assert first.link == "/government/publications/cctv-and-anpr-cameras-on-the-strategic-road-network"
    assert first.title == "CCTV and ANPR cameras on the strategic road network"
    assert first.content_id == _item(first.link.rsplit("/", 1)[1])["content_id"]
    assert first.published == date(2025, 1, 9)
    assert first.organisation == "National Highways"
    assert first.description.startswith("Information on the number of CCTV and ANPR cameras")


def test_the_last_page_has_no_next() -> None:
    last = next(SITE.glob("api/search.json@*q=cctv*start=4*"))
    page = parse_search_page(last.read_bytes())
    assert [r.title for r in page.results] == ["Consultancy spending on the Levelling Up Fund"]
    assert page.next_start() is None


def test_a_link_without_its_leading_slash_is_a_path() -> None:
    body = json.dumps({"results": [{"link": "government/publications/x", "title": "X"}], "total": 1})
    assert parse_search_page(body.encode()).results[0].link == "/government/publications/x"


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Sorry, the service is unavailable</body></html>",
        b'{"results": [], "total": 0',
        b'{"error": "Invalid parameter"}',
        b'[{"link": "/government/publications/x"}]',
        b"\xff\xfe\x00garbage",
    ],
)
def test_what_is_not_a_search_answer_is_an_error(body: bytes) -> None:
    with pytest.raises(GovukFormatError):
        parse_search_page(body)


# -- content API ----------------------------------------------------------------------------------
@pytest.fixture(params=sorted(RELEASES), ids=lambda slug: slug[:30])
def release(request: pytest.FixtureRequest):
    return RELEASES[request.param], _item(request.param), _release(request.param)


def test_release_title_reference_and_request(release) -> None:
    _, item, parsed = release
    assert parsed.title == item["title"]
    assert parsed.content_id == item["content_id"]
    assert parsed.description == item["description"]


def test_release_organisation(release) -> None:
    expected, _, parsed = release
    assert parsed.organisation == expected["organisation"]


def test_release_published(release) -> None:
    expected, _, parsed = release
    assert parsed.published == expected["published"]


def test_release_attachments(release) -> None:
    expected, _, parsed = release
    assert [url.rsplit("/", 1)[1] for url, _ in parsed.attachments] == expected["attachments"]
    assert all(name for _, name in parsed.attachments)


def test_release_outcome_and_exemptions(release) -> None:
    expected, _, parsed = release
    assert classify_outcome(parsed.body_text) == expected["outcome"]
    assert parse_exemptions(parsed.body_text) == expected["exemptions"]


def test_release_body_is_text_with_its_table_rows() -> None:
    body = _release("cctv-and-anpr-cameras-on-the-strategic-road-network").body_text
    assert "<" not in body
    assert "Please find below the information you requested." in body
    assert "South East 1,841 266" in body.splitlines()


def test_older_releases_list_files_in_html_snippets() -> None:
    parsed = _release("cctv-coverage-at-hmp-wandsworth")
    assert parsed.attachments == [
        (
            f"{WWW}/government/uploads/system/uploads/attachment_data/file/1245561/"
            "FOI-240611-HMP-Wandsworth-CCTV.pdf",
            "FOI 240611: CCTV at HMP Wandsworth",
        )
    ]


def test_a_release_late_at_night_is_dated_on_the_uk_calendar() -> None:
    item = {**_item("cctv-coverage-at-hmp-wandsworth"), "first_published_at": "2024-06-30T23:30:00Z"}
    assert parse_release(json.dumps(item).encode(), WWW).published == date(2024, 7, 1)


@pytest.mark.parametrize(
    "item",
    [
        {"schema_name": "redirect", "base_path": "/x", "redirects": []},
        {"schema_name": "gone", "base_path": "/x"},
        {"title": "No details"},
    ],
)
def test_what_is_not_a_release_is_an_error(item: dict[str, object]) -> None:
    with pytest.raises(GovukFormatError):
        parse_release(json.dumps(item).encode(), WWW)


# -- real crawls ----------------------------------------------------------------------------------
def _source(source_id: str, url: str, query: str, **extra: object) -> dict[str, object]:
    options = {"query": query, **extra.pop("options", {})}  # type: ignore[dict-item]
    return {
        "id": source_id,
        "platform": "govuk",
        "authority": "GOV.UK",
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
        yield served


def test_full_crawl_follows_pagination_and_stores_every_release(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source("govuk", site.url("/"), "cctv", options={"page_size": 2})])
    summary = _crawl(app, "govuk")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (5, 5, 0)
    assert len([p for p in site.paths(200) if p.startswith("/api/search.json")]) == 3
    with app.database.session() as session:
        references = set(session.scalars(select(Response.reference)))
        hikvision = session.scalars(
            select(ResponseVersion).where(ResponseVersion.title.startswith("Hikvision"))
        ).one()
        attachments = [a.name for a in hikvision.attachments]
    assert references == {_item(slug)["content_id"] for slug in RELEASES}
    assert hikvision.authority == "Cabinet Office"
    assert hikvision.url == site.url(
        "/government/publications/hikvision-cctv-cameras-on-the-central-government-estate"
    )
    assert hikvision.published == date(2024, 11, 21)
    assert hikvision.request_text.startswith("Freedom of Information request on the number of CCTV cameras")
    assert "112 cameras manufactured by Hikvision" in hikvision.response_text
    assert (hikvision.outcome, hikvision.exemptions) == ("partially_released", ["s24(1)", "s31(1)(a)"])
    assert attachments == ["FOI2024/08817 response letter"]


def test_unchanged_recrawl_stores_no_new_version(tmp_path: Path, database_url: str, site: LocalSite) -> None:
    app = _app(tmp_path, database_url, [_source("govuk", site.url("/"), "cctv", options={"page_size": 2})])
    _crawl(app, "govuk")
    before = len(site.requests)
    second = _crawl(app, "govuk")
    assert second.status == "succeeded", second.error
    assert (second.items, second.new, second.changed, second.withdrawn) == (5, 0, 0, 0)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 5
    again = [r for r in site.requests[before:] if r.path != "/robots.txt"]
    assert again and all(r.conditional and r.status == 304 for r in again)


def test_incremental_crawl_stops_at_a_page_of_known_releases(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source("govuk", site.url("/"), "cctv", options={"page_size": 2})])
    _crawl(app, "govuk")
    before = len(site.requests)
    summary = _crawl(app, "govuk", "incremental")
    assert summary.status == "succeeded", summary.error
    fetched = [r.path for r in site.requests[before:] if r.path != "/robots.txt"]
    assert [p.split("?")[0] for p in fetched] == ["/api/search.json"]
    assert "start=0" in fetched[0]


def test_page_limit_stops_pagination_and_the_run_is_incomplete(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    source = _source("govuk", site.url("/"), "cctv", options={"page_size": 2}, max_pages=2)
    app = _app(tmp_path, database_url, [source])
    summary = _crawl(app, "govuk")
    assert summary.status == "succeeded" and summary.items == 4
    with app.database.session() as session:
        assert session.get_one(CrawlRun, summary.run_id).complete is False


def test_failed_content_calls_are_recorded_and_the_rest_is_stored(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source("surveillance", site.url("/"), "surveillance")])
    summary = _crawl(app, "surveillance")
    assert summary.status == "succeeded", summary.error
    # The 500 counts against the source; the 404 is the site's own stale link (recorded, not counted).
    assert (summary.items, summary.new, summary.errors) == (1, 1, 1)
    with app.database.session() as session:
        run = session.get_one(CrawlRun, summary.run_id)
        assert run.invalid_items == 1  # an HTML error page where the content item should be
        assert run.complete is False
        causes = [p.cause for p in problems_of_run(session, run.id)]
    assert any(c.startswith("HTTP 404 at") and "cctv-in-jobcentres" in c for c in causes)
    assert any(c.startswith("HTTP 500 at") and "server-error-cctv" in c for c in causes)
    with app.database.session() as session:
        assert list(session.scalars(select(ResponseVersion.title))) == [
            "Surveillance camera code of practice: self-assessments received"
        ]
    assert "/api/content/government/publications/cctv-in-jobcentres" in site.paths(404)
    assert "/api/content/government/publications/server-error-cctv-maintenance-contract" in site.paths(500)


def test_an_empty_search_fails_unless_the_source_may_be_empty(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    url = site.url("/")
    sources = [
        _source("empty", url, "nothing-matches"),
        _source("quiet", url, "nothing-matches", may_be_empty=True),
    ]
    app = _app(tmp_path, database_url, sources)
    failed = _crawl(app, "empty")
    assert failed.status == "failed"
    assert "no responses listed" in (failed.error or "")
    assert _crawl(app, "quiet").status == "succeeded"


def test_a_search_answer_that_is_not_json_fails_the_run_saying_so(
    tmp_path: Path, database_url: str, site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source("garbage", site.url("/"), "garbage", may_be_empty=True)])
    summary = _crawl(app, "garbage")
    assert summary.status == "failed"
    assert "GOV.UK search API page 1 unreadable" in (summary.error or "")
    assert "not JSON" in (summary.error or "")


def test_a_failing_search_api_fails_the_run(tmp_path: Path, database_url: str, site: LocalSite) -> None:
    site.overrides["/api/search.json"] = 500
    app = _app(tmp_path, database_url, [_source("down", site.url("/"), "cctv")])
    summary = _crawl(app, "down")
    assert summary.status == "failed"
    assert "start page could not be fetched" in (summary.error or "")


def test_attachments_are_read_when_asked(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "site"
    with LocalSite(root) as served:
        # The release's files live on the assets host: serve them from here too.
        shutil.copytree(SITE, root)
        for file in (root / "api" / "content").rglob("*"):
            if file.is_file():
                text = file.read_text(encoding="utf-8")
                file.write_text(text.replace("https://assets.publishing.service.gov.uk", served.base_url))
        source = _source(
            "govuk", served.url("/"), "cctv", options={"page_size": 2, "fetch_attachments": True}
        )
        app = _app(tmp_path, database_url, [source])
        summary = _crawl(app, "govuk")
    assert summary.status == "succeeded", summary.error
    with app.database.session() as session:
        texts = {
            a.name: a.text or "" for v in session.scalars(select(ResponseVersion)) for a in v.attachments
        }
    assert "112 Hikvision cameras and 9 Dahua cameras" in texts["FOI2024/08817 response letter"]
    assert "section 31(1)(f)" in texts["FOI 240611: CCTV at HMP Wandsworth"]
    assert "South East,1841,266" in texts["Camera counts by operational region (CSV)"]
