"""robots.txt across crawls: kept as RFC 9309 allows (fresh as the site says, at most 24 hours),
shared by the sources of one host, asked again when the site says no-cache; its Crawl-delay holds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import Response
from scrapy.settings import Settings

from crawler.middlewares import FreshOnlyCachePolicy
from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import crawl_source
from tests.conftest import write_config
from tests.sitefarm import FarmSite

ROBOTS = "/robots.txt"
SOURCES = ("first-police", "second-police")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[LocalSite, FarmSite]]:
    farm = FarmSite(tmp_path / "site")
    farm.root.mkdir()
    (farm.root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    for number, source in enumerate(SOURCES):
        farm.publish(source, number + 1, cctv=True)
    with LocalSite(farm.root) as served:
        yield served, farm


_opened: list[App] = []


@pytest.fixture(autouse=True)
def _dispose_apps() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().database.dispose()


def _app(tmp_path: Path, database_url: str, served: LocalSite, farm: FarmSite, **crawler: object) -> App:
    sources = [
        {"id": s, "platform": "police_soh", "authority": s.title(), "url": served.url(farm.log_path(s))}
        for s in SOURCES
    ]
    config = write_config(tmp_path / "config", sources, crawler=crawler)
    _opened.append(open_app(config, database_url, tmp_path / "data"))
    return _opened[-1]


def _crawl_all(app: App, mode: str = "incremental") -> None:
    for source in app.config.sources:
        summary = crawl_source(app.database, app.config, source, app.data_dir, mode)
        assert summary.status == "succeeded", summary.error


def _robots_fetches(served: LocalSite) -> int:
    return sum(1 for r in served.requests if r.path == ROBOTS)


def test_robots_txt_is_fetched_once_for_every_crawl_of_the_host_while_fresh(
    tmp_path: Path, database_url: str, site: tuple[LocalSite, FarmSite]
) -> None:
    served, farm = site
    app = _app(tmp_path, database_url, served, farm)
    _crawl_all(app, "full")
    _crawl_all(app)
    _crawl_all(app)
    # Six crawls of two sources on one host: one robots.txt.
    assert _robots_fetches(served) == 1
    # Still obeyed from the kept copy: nothing under /private/ was asked for.
    assert not [r for r in served.requests if r.path.startswith("/private/")]


def test_robots_txt_is_asked_again_when_the_site_says_no_cache_or_the_operator_says_0_hours(
    tmp_path: Path, database_url: str, site: tuple[LocalSite, FarmSite]
) -> None:
    served, farm = site
    served.headers[ROBOTS] = {"Cache-Control": "no-cache"}
    app = _app(tmp_path, database_url, served, farm)
    _crawl_all(app, "full")
    _crawl_all(app)
    assert _robots_fetches(served) == 4
    # Revalidated, not downloaded again: the later answers are 304s.
    assert [r.status for r in served.requests if r.path == ROBOTS][1:] == [304, 304, 304]

    served.headers.clear()
    served.requests.clear()
    (tmp_path / "config" / "settings.yaml").unlink()
    app = _app(tmp_path, database_url, served, farm, robots_txt_cache_hours=0)
    _crawl_all(app)
    _crawl_all(app)
    assert _robots_fetches(served) == 4


def test_a_new_disallow_is_obeyed_once_the_kept_copy_is_older_than_the_site_allows(
    tmp_path: Path, database_url: str, site: tuple[LocalSite, FarmSite]
) -> None:
    served, farm = site
    served.headers[ROBOTS] = {"Cache-Control": "max-age=2"}
    app = _app(tmp_path, database_url, served, farm)
    _crawl_all(app, "full")
    (farm.root / "robots.txt").write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    time.sleep(2.5)
    summary = crawl_source(
        app.database, app.config, app.config.source(SOURCES[0]), app.data_dir, "incremental"
    )
    assert summary.failed and "forbidden by robots.txt" in (summary.error or ""), summary.error


def test_crawl_delay_spaces_every_request_to_the_host(
    tmp_path: Path, database_url: str, site: tuple[LocalSite, FarmSite]
) -> None:
    served, farm = site
    (farm.root / "robots.txt").write_text("User-agent: *\nCrawl-delay: 1\nDisallow: /private/\n")
    for number in range(3, 6):
        farm.publish(SOURCES[0], number, cctv=False)
    app = _app(tmp_path, database_url, served, farm, concurrent_requests_per_domain=4)
    summary = crawl_source(app.database, app.config, app.config.source(SOURCES[0]), app.data_dir, "full")
    assert summary.status == "succeeded" and summary.items == 4, summary.error
    pages = sorted(r.at for r in served.requests if r.path != ROBOTS)
    assert len(pages) >= 5
    gaps = [later - earlier for earlier, later in zip(pages, pages[1:], strict=False)]
    assert min(gaps) >= 0.9, gaps


def _cached(headers: dict[str, str], age_seconds: float, status: int = 200) -> Response:
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() - age_seconds))
    return Response("https://example.org/robots.txt", status=status, headers={"Date": date, **headers})


@pytest.mark.parametrize(
    ("headers", "age", "hours", "fresh"),
    [
        ({}, 3600, 24, True),  # the site says nothing: the configured 24 hours
        ({}, 3600, 0.5, False),
        ({}, 25 * 3600, 24, False),
        ({"Cache-Control": "max-age=60"}, 30, 24, True),  # the site's own freshness wins
        ({"Cache-Control": "max-age=60"}, 90, 24, False),
        ({"Cache-Control": "max-age=31536000"}, 25 * 3600, 24, False),  # never past 24 hours
        ({"Cache-Control": "no-cache"}, 1, 24, False),
    ],
)
def test_freshness_of_a_kept_robots_txt(
    headers: dict[str, str], age: float, hours: float, fresh: bool
) -> None:
    policy = FreshOnlyCachePolicy(Settings({"FOIWATCH_ROBOTS_TXT_CACHE_SECONDS": hours * 3600}))
    request = Request("https://example.org/robots.txt")
    assert policy.is_cached_response_fresh(_cached(headers, age), request) is fresh
    # Any other page is always asked about, however fresh the site calls it, and conditionally.
    for said in ("max-age=600", "no-cache"):
        page = Request("https://example.org/foi/")
        kept = _cached({"Cache-Control": said, "ETag": '"v1"'}, 1)
        assert policy.is_cached_response_fresh(kept, page) is False
        assert page.headers.get("If-None-Match") == b'"v1"'
