"""Real crawls of RSS and Atom logs (in the crawl subprocess, as in production) on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import Attachment, CrawlRun, Response, ResponseVersion, TopicMatch
from tests.conftest import write_config
from tests.crawler.test_feed import EXPECTED, SITE, TRANSPORT_FEED, TRANSPORT_OPTIONS


@pytest.fixture
def feed_site() -> Iterator[LocalSite]:
    with LocalSite(SITE) as site:
        yield site


def _app(tmp_path: Path, database_url: str, sources: list[dict[str, Any]]) -> App:
    return open_app(write_config(tmp_path / "config", sources), database_url, tmp_path / "data")


def _source(source_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": source_id, "platform": "feed", "authority": f"{source_id} council", "url": url, **extra}


def _crawl(app: App, source_id: str, mode: str = "full") -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, mode)


def _stored(app: App) -> dict[str | None, ResponseVersion]:
    with app.database.session() as session:
        versions = session.scalars(select(ResponseVersion).join(Response)).all()
        return {version.response.reference: version for version in versions}


def _cctv_titles(app: App) -> set[str]:
    with app.database.session() as session:
        query = (
            select(ResponseVersion.title)
            .join(TopicMatch, TopicMatch.version_id == ResponseVersion.id)
            .where(TopicMatch.topic == "cctv", TopicMatch.matched.is_(True))
        )
        return set(session.scalars(query))


def _pages(site: LocalSite, since: int = 0) -> list[str]:
    return [r.path for r in site.requests[since:] if r.path != "/robots.txt"]


def test_full_crawl_of_an_rss_log_stores_every_entry(
    tmp_path: Path, database_url: str, feed_site: LocalSite
) -> None:
    source = _source(
        "westmarsh", feed_site.url("/council/disclosure-log.rss"), options={"fetch_pages": False}
    )
    app = _app(tmp_path, database_url, [source])
    summary = _crawl(app, "westmarsh")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (6, 6, 0)
    stored = _stored(app)
    assert set(stored) == {entry["reference"] for entry in EXPECTED["council"]}
    for expected in EXPECTED["council"]:
        version = stored[expected["reference"]]
        assert (version.url, version.published) == (
            expected["url"],
            date.fromisoformat(expected["published"]),
        )
        assert (version.outcome, version.exemptions) == (expected["outcome"], expected["exemptions"])
    assert _cctv_titles(app) == {e["title"] for e in EXPECTED["council"] if e["cctv"]}
    assert _pages(feed_site) == ["/council/disclosure-log.rss"]


def test_atom_crawl_reads_each_linked_page_and_the_next_feed_page(
    tmp_path: Path, database_url: str, feed_site: LocalSite
) -> None:
    app = _app(
        tmp_path,
        database_url,
        [_source("severnside", feed_site.url(TRANSPORT_FEED), options=TRANSPORT_OPTIONS)],
    )
    summary = _crawl(app, "severnside")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (5, 5, 0)
    stored = _stored(app)
    assert set(stored) == {entry["reference"] for entry in EXPECTED["transport"]}
    for expected in EXPECTED["transport"]:
        version = stored[expected["reference"]]
        assert version.url == feed_site.url(expected["path"])
        assert expected["response"] in version.response_text
    assert _cctv_titles(app) == {e["title"] for e in EXPECTED["transport"] if e["cctv"]}
    assert TRANSPORT_FEED + "?page=2" in feed_site.paths(200)
    assert {e["path"] for e in EXPECTED["transport"]} <= set(feed_site.paths(200))


def test_unchanged_recrawl_stores_no_new_version(
    tmp_path: Path, database_url: str, feed_site: LocalSite
) -> None:
    app = _app(
        tmp_path,
        database_url,
        [_source("severnside", feed_site.url(TRANSPORT_FEED), options=TRANSPORT_OPTIONS)],
    )
    _crawl(app, "severnside")
    before = len(feed_site.requests)
    second = _crawl(app, "severnside")
    assert second.status == "succeeded", second.error
    assert (second.items, second.new, second.changed, second.withdrawn) == (5, 0, 0, 0)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 5
    again = [r for r in feed_site.requests[before:] if r.path != "/robots.txt"]
    assert again and all(r.conditional and r.status == 304 for r in again)


def test_incremental_crawl_reads_only_the_feed_when_nothing_is_new(
    tmp_path: Path, database_url: str, feed_site: LocalSite
) -> None:
    app = _app(
        tmp_path,
        database_url,
        [_source("severnside", feed_site.url(TRANSPORT_FEED), options=TRANSPORT_OPTIONS)],
    )
    _crawl(app, "severnside")
    before = len(feed_site.requests)
    summary = _crawl(app, "severnside", "incremental")
    assert summary.status == "succeeded", summary.error
    assert _pages(feed_site, before) == [TRANSPORT_FEED]


def test_attachments_and_enclosures_are_read_when_asked(
    tmp_path: Path, database_url: str, feed_site: LocalSite
) -> None:
    options = {**TRANSPORT_OPTIONS, "fetch_attachments": True}
    app = _app(
        tmp_path, database_url, [_source("severnside", feed_site.url(TRANSPORT_FEED), options=options)]
    )
    assert _crawl(app, "severnside").status == "succeeded"
    with app.database.session() as session:
        texts = {a.url.rsplit("/", 1)[-1]: a.text or "" for a in session.scalars(select(Attachment))}
    assert "Central Bus Station: 21 cameras" in texts["FOI-7781-camera-schedule.pdf"]
    assert "body worn camera on duty" in texts["FOI-7752-body-worn-video-policy.pdf"]


def test_missing_and_broken_pages_are_recorded_and_the_rest_stored(
    tmp_path: Path, database_url: str, feed_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source("edge", feed_site.url("/edge/disclosure-log.atom"))])
    summary = _crawl(app, "edge")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.errors) == (1, 1)  # the 500; the 404 is recorded, not counted
    with app.database.session() as session:
        assert session.get_one(CrawlRun, summary.run_id).invalid_items == 1  # the moved page
    assert set(_stored(app)) == {"FOI-1001"}
    assert "/edge/foi/grass-cutting-schedule/" in feed_site.paths(404)
    assert "/edge/foi/server-error-library-hours/" in feed_site.paths(500)


@pytest.mark.parametrize("path", ["/council/no-such-feed.rss", "/council/server-error.rss"])
def test_a_feed_that_cannot_be_fetched_fails_the_run(
    tmp_path: Path, database_url: str, feed_site: LocalSite, path: str
) -> None:
    app = _app(tmp_path, database_url, [_source("gone", feed_site.url(path))])
    summary = _crawl(app, "gone")
    assert summary.status == "failed"
    assert "start page could not be fetched" in (summary.error or "")


def test_an_empty_feed_fails_unless_the_source_may_be_empty(
    tmp_path: Path, database_url: str, feed_site: LocalSite
) -> None:
    url = feed_site.url("/empty/disclosure-log.rss")
    app = _app(tmp_path, database_url, [_source("empty", url), _source("quiet", url, may_be_empty=True)])
    failed = _crawl(app, "empty")
    assert failed.status == "failed" and "no responses listed" in (failed.error or "")
    assert _crawl(app, "quiet").status == "succeeded"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/garbage/disclosure-log.rss", "not well-formed XML"),
        ("/attack/disclosure-log.rss", "declares XML entities"),
        ("/attack/external-entity.rss", "declares XML entities"),
    ],
)
def test_garbage_and_entity_attacks_fail_with_the_reason(
    tmp_path: Path, database_url: str, feed_site: LocalSite, path: str, reason: str
) -> None:
    app = _app(tmp_path, database_url, [_source("bad", feed_site.url(path), may_be_empty=True)])
    summary = _crawl(app, "bad")
    assert summary.status == "failed"
    assert "is not a readable feed" in (summary.error or "") and reason in (summary.error or "")
    assert _stored(app) == {}


def test_a_windows_1252_feed_is_stored_with_its_pound_signs(
    tmp_path: Path, database_url: str, feed_site: LocalSite
) -> None:
    source = _source(
        "harrowfield", feed_site.url("/encoding/disclosure-log.rss"), options={"fetch_pages": False}
    )
    app = _app(tmp_path, database_url, [source])
    summary = _crawl(app, "harrowfield")
    assert summary.status == "succeeded", summary.error
    stored = _stored(app)
    assert "costs £48,500 a year" in stored["FOI/2291"].response_text
    assert "charges £72.50 for a summons" in stored["FOI/2284"].response_text
