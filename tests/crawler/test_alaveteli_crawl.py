"""Real Scrapy crawls of an Alaveteli site (saved WhatDoTheyKnow pages, feeds and JSON on 127.0.0.1)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import CrawlRun, Response, ResponseVersion
from tests.conftest import FIXTURES, write_config

SITE = FIXTURES / "alaveteli" / "site"
AUTHORITY = "MHCLG (via WhatDoTheyKnow)"
ROBOTS = "User-agent: *\nDisallow: */search/\nDisallow: */feed/\nDisallow: */request/*/response/\n"


def _serve(root: Path) -> LocalSite:
    site = LocalSite(root)
    for folder in ("request", "request_event"):
        for page in (root / folder).iterdir():
            if not page.suffix:
                site.content_types[page.name] = "text/html; charset=utf-8"
    for feed in (root / "feed").rglob("*"):
        site.content_types.setdefault(feed.name, "application/atom+xml; charset=utf-8")
    return site


@pytest.fixture
def wdtk() -> Iterator[LocalSite]:
    with _serve(SITE) as site:
        yield site


@pytest.fixture
def site_copy(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    return root


def _source(site: LocalSite, source_id: str, *feeds: str, **extra: object) -> dict[str, object]:
    return {
        "id": source_id,
        "platform": "alaveteli",
        "authority": AUTHORITY,
        "url": site.url("/"),
        "options": {"feeds": list(feeds)},
        **extra,
    }


def _app(tmp_path: Path, database_url: str, sources: list[dict[str, object]]) -> App:
    return open_app(write_config(tmp_path / "config", sources), database_url, tmp_path / "data")


def _crawl(app: App, source_id: str, mode: str = "full") -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, mode)


def _stored(app: App) -> dict[str, ResponseVersion]:
    """Latest version of every stored response, by reference."""
    with app.database.session() as session:
        query = select(ResponseVersion).options(selectinload(ResponseVersion.attachments))
        versions = session.scalars(query.order_by(ResponseVersion.id)).all()
        by_response = {v.response_id: v for v in versions}
        references = {rid: ref for rid, ref in session.execute(select(Response.id, Response.reference))}
        for version in by_response.values():
            session.expunge(version)
    return {str(references[rid]): version for rid, version in by_response.items()}


def _run(app: App, run_id: int | None) -> CrawlRun:
    with app.database.session() as session:
        run = session.get_one(CrawlRun, run_id)
        session.expunge(run)
        return run


def test_full_crawl_stores_every_answered_request_of_the_feeds(
    tmp_path: Path, database_url: str, wdtk: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source(wdtk, "wdtk", "/feed/body/mhclg", "/feed/search/cctv")])
    summary = _crawl(app, "wdtk")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (25, 25, 0)
    stored = _stored(app)
    assert len(stored) == 25 and all(ref.startswith("127.0.0.1/request/") for ref in stored)
    psl = stored["127.0.0.1/request/412769"]  # named by its event link only
    assert psl.url == wdtk.url("/request/psl_schemes")
    assert (psl.outcome, psl.published) == ("not_held", date(2017, 7, 3))
    assert {v.authority for v in stored.values()} == {
        AUTHORITY,
        "Bristol City Council",
        "Hampshire Constabulary",
    }
    anpr = stored["127.0.0.1/request/597733"]
    assert (anpr.outcome, anpr.exemptions, anpr.published) == (
        "partially_released",
        ["s24(1)", "s31(1)(a)"],
        date(2019, 9, 6),
    )
    assert anpr.request_text.startswith("Dear Hampshire Constabulary,")
    assert [a.name for a in anpr.attachments] == ["HC 001874 19 Response.pdf"]
    # Not answered yet: its JSON is read, its page is not, nothing is stored and nothing failed.
    assert "/request/cctv_in_public_parks.json" in wdtk.paths(200)
    assert "/request/cctv_in_public_parks" not in wdtk.paths()
    # The body's feed is full (25 events): older requests may exist, so the crawl is not complete.
    assert _run(app, summary.run_id).complete is False


def test_unchanged_recrawl_revalidates_and_stores_no_new_version(
    tmp_path: Path, database_url: str, wdtk: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source(wdtk, "cctv", "/feed/search/cctv")])
    first = _crawl(app, "cctv")
    assert (first.status, first.new) == ("succeeded", 2), first.error
    before = len(wdtk.requests)
    second = _crawl(app, "cctv")
    assert second.status == "succeeded", second.error
    assert (second.items, second.new, second.changed, second.withdrawn) == (2, 0, 0, 0)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 2
    again = [r for r in wdtk.requests[before:] if r.path != "/robots.txt"]
    assert again and all(r.conditional and r.status == 304 for r in again)


def test_incremental_crawl_reads_the_feed_and_skips_known_requests(
    tmp_path: Path, database_url: str, wdtk: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source(wdtk, "cctv", "/feed/search/cctv")])
    _crawl(app, "cctv", "full")
    before = len(wdtk.requests)
    summary = _crawl(app, "cctv", "incremental")
    assert summary.status == "succeeded", summary.error
    fetched = [r.path for r in wdtk.requests[before:] if r.path != "/robots.txt"]
    # The unanswered request is not stored, so it is looked at again.
    assert fetched == ["/feed/search/cctv", "/request/cctv_in_public_parks.json"]


def test_a_gone_page_and_a_failing_json_are_errors_and_the_rest_is_stored(
    tmp_path: Path, database_url: str, wdtk: LocalSite
) -> None:
    wdtk.overrides["/request/hikvision_cctv_cameras_in_counci.json"] = 500
    app = _app(tmp_path, database_url, [_source(wdtk, "retention", "/feed/search/retention")])
    summary = _crawl(app, "retention")
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (1, 1, 1)  # a 404 is recorded, not counted
    assert list(_stored(app)) == ["127.0.0.1/request/597733"]
    assert "/request/cctv_footage_retention_polic" in wdtk.paths(404)
    assert "/request/hikvision_cctv_cameras_in_counci.json" in wdtk.paths(500)
    assert _run(app, summary.run_id).complete is False


def test_an_empty_feed_fails_unless_the_source_may_be_empty(
    tmp_path: Path, database_url: str, wdtk: LocalSite
) -> None:
    feed = "/feed/search/nothing_matches_this"
    sources = [_source(wdtk, "empty", feed), _source(wdtk, "quiet", feed, may_be_empty=True)]
    app = _app(tmp_path, database_url, sources)
    failed = _crawl(app, "empty")
    assert failed.status == "failed"
    assert "no responses listed" in (failed.error or "")
    assert _crawl(app, "quiet").status == "succeeded"


def test_a_feed_that_is_not_xml_fails_the_run_with_a_clear_error(
    tmp_path: Path, database_url: str, wdtk: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source(wdtk, "garbage", "/feed/search/garbage", may_be_empty=True)])
    summary = _crawl(app, "garbage")
    assert summary.status == "failed"
    assert "unreadable feed" in (summary.error or "") and "HTML page, not a feed" in (summary.error or "")


@pytest.mark.parametrize("feed", ["/feed/search/laughs", "/feed/search/xxe"], ids=["billion-laughs", "xxe"])
def test_entity_attacks_are_refused_before_any_expansion(
    tmp_path: Path, database_url: str, wdtk: LocalSite, feed: str
) -> None:
    app = _app(tmp_path, database_url, [_source(wdtk, "hostile", feed)])
    summary = _crawl(app, "hostile")
    assert summary.status == "failed"
    assert "unreadable feed" in (summary.error or "") and "DTD" in (summary.error or "")
    assert _stored(app) == {}
    assert [p for p in wdtk.paths() if p != "/robots.txt"] == [feed]


def test_a_wrong_charset_header_does_not_garble_the_text(
    tmp_path: Path, database_url: str, wdtk: LocalSite
) -> None:
    wdtk.content_types["hikvision_cctv_cameras_in_counci"] = "text/html; charset=iso-8859-1"
    app = _app(tmp_path, database_url, [_source(wdtk, "cctv", "/feed/search/cctv")])
    assert _crawl(app, "cctv").status == "succeeded"
    hikvision = _stored(app)["127.0.0.1/request/596214"]
    assert "the council’s own CCTV Services team" in hikvision.response_text
    assert "£48,500" in hikvision.response_text


def test_a_short_feed_is_complete_and_tells_withdrawals(
    tmp_path: Path, database_url: str, site_copy: Path
) -> None:
    with _serve(site_copy) as site:
        app = _app(tmp_path, database_url, [_source(site, "cctv", "/feed/search/cctv")])
        first = _crawl(app, "cctv")
        assert _run(app, first.run_id).complete is True
        feed = site_copy / "feed/search/cctv"
        entries = feed.read_text(encoding="utf-8").split("  <entry>")
        feed.write_text("  <entry>".join(e for e in entries if "anpr_cameras" not in e), encoding="utf-8")
        second = _crawl(app, "cctv")
    assert (second.status, second.items, second.withdrawn) == ("succeeded", 1, 1)


def test_a_full_feed_never_tells_withdrawals(tmp_path: Path, database_url: str, site_copy: Path) -> None:
    with _serve(site_copy) as site:
        app = _app(tmp_path, database_url, [_source(site, "mhclg", "/feed/body/mhclg")])
        assert _crawl(app, "mhclg").new == 23
        # A new event pushes the oldest one (PSL Schemes) out of the 25-event window.
        feed = site_copy / "feed/body/mhclg"
        body, tail = feed.read_text(encoding="utf-8").rsplit("</feed>", 1)
        head, *entries = body.split("  <entry>")
        newest = entries[0].replace("InfoRequestEvent/3405001", "InfoRequestEvent/3406999")
        feed.write_text("  <entry>".join([head, newest, *entries[:-1]]) + "</feed>" + tail, encoding="utf-8")
        second = _crawl(app, "mhclg")
    assert (second.status, second.items, second.withdrawn) == ("succeeded", 22, 0)


def test_robots_txt_forbidding_feeds_is_obeyed(tmp_path: Path, database_url: str, site_copy: Path) -> None:
    # Alaveteli's own robots.txt disallows */feed/ (public/robots.txt in mysociety/alaveteli).
    (site_copy / "robots.txt").write_text(ROBOTS, encoding="utf-8")
    with _serve(site_copy) as site:
        app = _app(tmp_path, database_url, [_source(site, "cctv", "/feed/search/cctv")])
        summary = _crawl(app, "cctv")
        paths = site.paths()
    assert summary.status == "failed"
    assert "start page could not be fetched" in (summary.error or "")
    assert paths == ["/robots.txt"]
