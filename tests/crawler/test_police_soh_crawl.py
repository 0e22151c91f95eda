"""Real Scrapy crawls (in the crawl subprocess, as in production) against saved pages on 127.0.0.1."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from storage.models import CrawlRun, Response, ResponseVersion
from storage.problems import problems_of_run
from tests.conftest import FIXTURES, write_config

EXPECTED = yaml.safe_load((FIXTURES / "police_soh" / "expected.yaml").read_text(encoding="utf-8"))
MET_LOG = "/foi-ai/metropolitan-police/disclosure-log/"


def _app(tmp_path: Path, database_url: str, sources: list[dict[str, object]]) -> App:
    config = write_config(tmp_path / "config", sources)
    return open_app(config, database_url, tmp_path / "data")


def _source(source_id: str, url: str, **extra: object) -> dict[str, object]:
    return {
        "id": source_id,
        "platform": "police_soh",
        "authority": f"{source_id} authority",
        "url": url,
        **extra,
    }


def _crawl(app: App, source_id: str, mode: str | None = "full") -> CrawlSummary:
    return crawl_source(app.database, app.config, app.config.source(source_id), app.data_dir, mode)


def _references(app: App) -> set[str | None]:
    with app.database.session() as session:
        return set(session.scalars(select(Response.reference)))


def test_full_crawl_follows_pagination_and_stores_every_response(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source("met", soh_site.url(MET_LOG))])
    summary = _crawl(app, "met")
    met_pages = [p for p in EXPECTED["pages"] if p["force"] == "metropolitan-police"]
    assert summary.status == "succeeded", summary.error
    assert (summary.items, summary.new, summary.errors) == (12, 12, 0)
    assert _references(app) == {p["reference"] for p in met_pages}
    assert f"{MET_LOG}?page=3" in soh_site.paths(200)
    assert "/robots.txt" in soh_site.paths()
    assert all("tests@foiwatch.invalid" in r.user_agent for r in soh_site.requests)


def test_unchanged_recrawl_revalidates_and_stores_no_new_version(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source("met", soh_site.url(MET_LOG))])
    _crawl(app, "met")
    first_requests = len(soh_site.requests)
    second = _crawl(app, "met")
    assert second.status == "succeeded", second.error
    assert (second.new, second.changed, second.withdrawn) == (0, 0, 0)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 12
    again = soh_site.requests[first_requests:]
    pages = [r for r in again if r.path != "/robots.txt"]
    assert pages and all(r.conditional for r in pages)
    assert all(r.status == 304 for r in pages)


def test_incremental_crawl_stops_at_known_responses(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    app = _app(tmp_path, database_url, [_source("met", soh_site.url(MET_LOG))])
    _crawl(app, "met", "full")
    before = len(soh_site.requests)
    summary = _crawl(app, "met", "incremental")
    assert summary.status == "succeeded", summary.error
    fetched = [r.path for r in soh_site.requests[before:] if r.path != "/robots.txt"]
    assert fetched == [MET_LOG]


def test_a_changed_page_is_a_new_version(tmp_path: Path, database_url: str) -> None:
    site_root = tmp_path / "site"
    _copy_tree(FIXTURES / "police_soh" / "site", site_root)
    with LocalSite(site_root) as site:
        app = _app(tmp_path, database_url, [_source("met", site.url(MET_LOG))])
        _crawl(app, "met")
        taser = "disclosure-2024/october-2024/use-of-taser-by-mps-officers-2021-to-2024"
        page = site_root / "foi-ai/metropolitan-police" / taser / "index.html"
        page.write_text(
            page.read_text(encoding="utf-8").replace("</main>", "<p>Update: figures corrected.</p></main>"),
            encoding="utf-8",
        )
        summary = _crawl(app, "met")
    assert (summary.new, summary.changed) == (0, 1)
    with app.database.session() as session:
        assert session.scalar(select(func.count()).select_from(ResponseVersion)) == 13


def test_broken_pages_are_recorded_and_the_rest_is_stored(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    edge = EXPECTED["edge"]
    app = _app(tmp_path, database_url, [_source("edge", soh_site.url("/foi-ai/edge-police/disclosure-log/"))])
    summary = _crawl(app, "edge")
    assert summary.status == "succeeded", summary.error
    assert summary.items == 1 and summary.new == 1
    assert summary.errors == 1  # the 500; a listed page answering 404 is the site's stale link
    with app.database.session() as session:
        run = session.get_one(CrawlRun, summary.run_id)
        assert run.invalid_items == 1  # the "page has moved" page, counted and skipped
        assert not run.complete  # pages it lists went unread: no withdrawal may be inferred
        causes = {p.cause.split(" at ")[0] for p in problems_of_run(session, run.id)}
    assert {"HTTP 404", "HTTP 500"} <= causes
    assert any(c.startswith("not read as a response") for c in causes)
    assert _references(app) == {"004567/24"}
    assert edge["not_found"] in soh_site.paths(404)
    assert edge["server_error"] in soh_site.paths(500)
    assert edge["robots_disallowed"] not in soh_site.paths()


def test_robots_txt_is_obeyed(tmp_path: Path, database_url: str, soh_site: LocalSite) -> None:
    app = _app(
        tmp_path, database_url, [_source("private", soh_site.url("/private/foi-0001-internal-review/"))]
    )
    summary = _crawl(app, "private")
    assert summary.status == "failed"
    assert "start page" in (summary.error or "")
    assert not [p for p in soh_site.paths() if p.startswith("/private/")]


def test_empty_listing_is_a_failure_unless_declared(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    url = soh_site.url("/foi-ai/empty-police/disclosure-log/")
    app = _app(tmp_path, database_url, [_source("empty", url), _source("quiet", url, may_be_empty=True)])
    failed = _crawl(app, "empty")
    assert failed.status == "failed"
    assert "layout may have changed" in (failed.error or "")
    assert _crawl(app, "quiet").status == "succeeded"


def test_a_dead_site_fails_only_its_own_source(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    app = _app(
        tmp_path,
        database_url,
        [
            _source("dead", f"http://127.0.0.1:{dead_port}/foi-ai/dead-police/disclosure-log/"),
            _source("cleveland", soh_site.url("/foi-ai/cleveland-police/disclosure/")),
        ],
    )
    dead = _crawl(app, "dead")
    alive = _crawl(app, "cleveland")
    assert dead.status == "failed" and dead.error
    assert alive.status == "succeeded" and alive.new == 3


def _copy_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target)


def test_a_page_in_the_wrong_encoding_is_still_read(tmp_path: Path, database_url: str) -> None:
    site_root = tmp_path / "site"
    _copy_tree(FIXTURES / "police_soh" / "site", site_root)
    page = (
        site_root
        / "foi-ai/cleveland-police/disclosure/2026/january/foi-5426-missing-person-reports-2025/index.html"
    )
    text = page.read_text(encoding="utf-8").replace(
        "</main>", "<p>The cost was £1,200 ‘in total’.</p></main>"
    )
    page.write_bytes(text.encode("cp1252", errors="replace"))  # served as UTF-8 by the test server
    with LocalSite(site_root) as site:
        app = _app(
            tmp_path, database_url, [_source("cleveland", site.url("/foi-ai/cleveland-police/disclosure/"))]
        )
        assert _crawl(app, "cleveland").items == 3
    with app.database.session() as session:
        texts = " ".join(session.scalars(select(ResponseVersion.response_text)))
    assert "The cost was £1,200 ‘in total’." in texts and "\ufffd" not in texts


def test_index_pages_between_the_log_and_its_responses_are_followed(
    tmp_path: Path, database_url: str
) -> None:
    cleveland = FIXTURES / "police_soh/site/foi-ai/cleveland-police/disclosure/2026/january"
    root = tmp_path / "site"
    month = root / "foi-ai/test-police/disclosure-log/2026/january"
    for slug in ("foi-7126-body-worn-video-cameras", "foi-5426-missing-person-reports-2025"):
        (month / slug).mkdir(parents=True)
        (month / slug / "index.html").write_bytes((cleveland / slug / "index.html").read_bytes())
    links = "".join(
        f'<li><a href="{slug}/">{slug}</a></li>'
        for slug in ("foi-7126-body-worn-video-cameras", "foi-5426-missing-person-reports-2025")
    )
    (month / "index.html").write_text(
        f"<html><body><main><h1>January 2026</h1><ul>{links}</ul></main></body></html>"
    )
    log = root / "foi-ai/test-police/disclosure-log/index.html"
    log.write_text(
        '<html><body><main><h1>Disclosure log</h1><a href="2026/january/">January 2026</a></main></body>'
    )
    with LocalSite(root) as site:
        app = _app(tmp_path, database_url, [_source("test", site.url("/foi-ai/test-police/disclosure-log/"))])
        assert (_crawl(app, "test").items, _references(app)) == (2, {"71- 26", "54- 26"})
        before = len(site.requests)
        again = _crawl(app, "test", "incremental")
        fetched = [r.path for r in site.requests[before:] if r.path != "/robots.txt"]
    assert again.status == "succeeded" and again.items == 0
    assert not [p for p in fetched if "foi-7126" in p or "foi-5426" in p]  # known responses not fetched again


def test_the_default_mode_finds_an_edit_by_the_next_full_crawl(tmp_path: Path, database_url: str) -> None:
    from datetime import timedelta

    from freezegun import freeze_time

    from monitor.service.crawls import next_full_crawl
    from storage.clock import utcnow

    site_root = tmp_path / "site"
    _copy_tree(FIXTURES / "police_soh" / "site", site_root)
    with LocalSite(site_root) as site:
        app = _app(tmp_path, database_url, [_source("met", site.url(MET_LOG))])
        first = _crawl(app, "met", None)  # never crawled: a full crawl
        taser = "disclosure-2024/october-2024/use-of-taser-by-mps-officers-2021-to-2024"
        page = site_root / "foi-ai/metropolitan-police" / taser / "index.html"
        page.write_text(
            page.read_text(encoding="utf-8").replace("</main>", "<p>Update: figures corrected.</p></main>"),
            encoding="utf-8",
        )
        soon = _crawl(app, "met", None)  # within a day of the full crawl: only what is new
        due = next_full_crawl(app.database, app.config, "met")
        assert due is not None and due - utcnow() <= timedelta(hours=24)
        with freeze_time(due + timedelta(minutes=1)):
            later = _crawl(app, "met", None)
    assert (first.mode, soon.mode, later.mode) == ("full", "incremental", "full")
    assert (soon.changed, later.changed) == (0, 1)


def test_a_failing_diff_never_leaves_the_source_locked(
    tmp_path: Path, database_url: str, soh_site: LocalSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.service.crawls

    real = monitor.service.crawls.record_changes

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("the diff tripped over something")

    app = _app(
        tmp_path, database_url, [_source("cleveland", soh_site.url("/foi-ai/cleveland-police/disclosure/"))]
    )
    monkeypatch.setattr(monitor.service.crawls, "record_changes", broken)
    first = _crawl(app, "cleveland")
    assert first.status == "succeeded"  # the run is closed before the diff, whatever the diff does
    with app.database.session() as session:
        run = session.get_one(CrawlRun, first.run_id)
        assert (run.status, run.diffed) == ("succeeded", False)
        assert "the diff failed and will be retried" in " ".join(
            p.cause for p in problems_of_run(session, run.id)
        )
    monkeypatch.setattr(monitor.service.crawls, "record_changes", real)
    second = _crawl(app, "cleveland")  # not refused as busy; the undiffed run is diffed first
    assert second.status == "succeeded"
    with app.database.session() as session:
        assert session.get_one(CrawlRun, first.run_id).diffed
        assert session.get_one(CrawlRun, first.run_id).new_count == 3


def _without(site_root: Path, overlay: Path, path: str, line: str) -> None:
    """Lay over ``path`` a copy of the saved page with ``line`` removed."""
    page = (site_root / path.lstrip("/") / "index.html").read_text(encoding="utf-8")
    assert line in page
    target = overlay / path.lstrip("/") / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page.replace(line, ""), encoding="utf-8")


def _listing_page(site_root: Path, overlay: Path, page: int, line: str) -> None:
    name = f"index@page={page}.html"
    text = (site_root / MET_LOG.lstrip("/") / name).read_text(encoding="utf-8")
    assert line in text
    target = overlay / MET_LOG.lstrip("/") / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text.replace(line, ""), encoding="utf-8")


def test_a_page_printing_no_date_is_dated_by_the_listing_then_by_the_month_in_its_address(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    # Met pages that print no date, as many real ones do: two saved pages with their date lines taken
    # out, and for the drone page the listing's date too, so only the address's month is left.
    drone = "/foi-ai/metropolitan-police/disclosure-2023/june-2023/drone-sightings-near-prisons/"
    anpr = "/foi-ai/metropolitan-police/d/july-2022/anpr-camera-locations/"
    overlay = tmp_path / "undated"
    _without(
        soh_site.root, overlay, drone, '<p class="c-foi-response__published">Published: 13 June 2023</p>'
    )
    _without(
        soh_site.root,
        overlay,
        anpr,
        '<div class="article-meta"><span class="article-meta__date">Published: 19 July 2022</span></div>',
    )
    _listing_page(
        soh_site.root,
        overlay,
        2,
        '<p class="c-search-results__meta">Published: <time datetime="2023-06-13">13 June 2023</time></p>',
    )
    soh_site.overlays = [overlay]
    app = _app(tmp_path, database_url, [_source("met", soh_site.url(MET_LOG))])
    summary = _crawl(app, "met")
    assert summary.status == "succeeded", summary.error

    with app.database.session() as session:
        dates = {
            url.removeprefix(soh_site.url("")): (published, source)
            for url, published, source in session.execute(
                select(ResponseVersion.url, ResponseVersion.published, ResponseVersion.date_source)
            )
        }
    assert dates.pop(drone) == (date(2023, 6, 1), "url-month")
    assert dates.pop(anpr) == (date(2022, 7, 19), "listing")
    assert len(dates) == 10
    assert {source for _, source in dates.values()} == {"page"}
