"""Only http(s) URLs on a source's own hosts are ever requested: links, redirects and feeds alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.middlewares import allowed_hosts, host_key
from monitor.app import App, open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import crawl_source
from storage.models import Attachment, CrawlRun
from storage.problems import problems_of_run
from tests.conftest import write_config
from tests.sitefarm import FarmSite

SOURCE = "guarded-police"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://www.met.police.uk/foi/x", True),
        ("http://met.police.uk/foi/x", True),  # the same site without www., over http
        ("https://www.met.police.uk:8443/x", False),  # another port
        ("https://evil.example/x", False),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("ftp://www.met.police.uk/x", False),
        ("https://cdn.met-assets.example/letter.pdf", True),  # listed by the source
    ],
)
def test_allowed_hosts(url: str, allowed: bool) -> None:
    hosts = allowed_hosts("https://www.met.police.uk/foi-ai/metropolitan-police/", ["cdn.met-assets.example"])
    key = host_key(url)
    assert (key is not None and key in hosts) == allowed


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[LocalSite, LocalSite, FarmSite]]:
    (tmp_path / "site").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "letter.pdf").write_bytes(b"%PDF-1.4 not really")
    farm = FarmSite(tmp_path / "site")
    with LocalSite(farm.root) as site, LocalSite(tmp_path / "elsewhere", host="127.0.0.2") as elsewhere:
        yield site, elsewhere, farm


def _app(tmp_path: Path, database_url: str, site: LocalSite, farm: FarmSite, **extra: object) -> App:
    source = {
        "id": SOURCE,
        "platform": "police_soh",
        "authority": "Guarded Police",
        "url": site.url(farm.log_path(SOURCE)),
        **extra,
    }
    return open_app(write_config(tmp_path / "config", [source]), database_url, tmp_path / "data")


def test_redirects_to_another_host_or_port_are_refused_and_recorded(
    tmp_path: Path, database_url: str, sites: tuple[LocalSite, LocalSite, FarmSite]
) -> None:
    site, elsewhere, farm = sites
    away = farm.publish(SOURCE, 1, cctv=True)
    other_port = farm.publish(SOURCE, 2, cctv=False)
    farm.publish(SOURCE, 3, cctv=True)
    site.redirects[away.path()] = elsewhere.url("/letter.pdf")
    site.redirects[other_port.path()] = site.url("/").replace(site.base_url.rsplit(":", 1)[1], "9") + "x/"
    app = _app(tmp_path, database_url, site, farm)
    summary = crawl_source(app.database, app.config, app.config.source(SOURCE), app.data_dir, "full")
    assert summary.status == "succeeded" and summary.items == 1
    assert elsewhere.requests == []
    with app.database.session() as session:
        run = session.get_one(CrawlRun, summary.run_id)
        causes = [p.cause for p in problems_of_run(session, run.id)]
    assert run.complete is False  # two listed pages went unread
    assert sum("refused link to another host" in c for c in causes) == 2, causes


def test_file_links_are_never_read_and_a_listed_cdn_is(
    tmp_path: Path, database_url: str, sites: tuple[LocalSite, LocalSite, FarmSite]
) -> None:
    site, elsewhere, farm = sites
    entry = farm.publish(SOURCE, 1, cctv=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0 the secret", encoding="utf-8")
    links = (
        f'<p><a href="file://{secret}">letter.txt</a> '
        f'<a href="{elsewhere.url("/letter.pdf")}">letter.pdf</a></p>'
    )
    farm.rewrite(entry.path(), farm.response_html(entry).replace("</h1>", f"</h1>{links}"))
    cdn = elsewhere.base_url.split("//", 1)[1]
    app = _app(tmp_path, database_url, site, farm, options={"fetch_attachments": True}, allowed_hosts=[cdn])
    summary = crawl_source(app.database, app.config, app.config.source(SOURCE), app.data_dir, "full")
    assert summary.status == "succeeded", summary.error
    assert elsewhere.paths() == ["/robots.txt", "/letter.pdf"]  # the listed CDN host was used
    with app.database.session() as session:
        texts = [a.text or "" for a in session.scalars(select(Attachment))]
        urls = [a.url for a in session.scalars(select(Attachment))]
    assert not any("the secret" in text for text in texts)
    assert any(url.startswith("file://") for url in urls)  # kept as scraped, never fetched


def test_feed_entries_linking_elsewhere_are_not_fetched(
    tmp_path: Path, database_url: str, sites: tuple[LocalSite, LocalSite, FarmSite]
) -> None:
    site, elsewhere, farm = sites
    items = "".join(
        f"<item><title>CCTV cameras {n}</title><link>{link}</link><guid>{link}</guid>"
        "<description>Where are the CCTV cameras in the town centre? We hold 40.</description></item>"
        for n, link in enumerate([elsewhere.url("/foi/1/"), "file:///etc/passwd", site.url("/foi/3/")])
    )
    (farm.root / "log.rss").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Log</title>{items}</channel></rss>',
        encoding="utf-8",
    )
    source = {
        "id": "feed-log",
        "platform": "feed",
        "authority": "A council",
        "url": site.url("/log.rss"),
        "options": {"fetch_pages": True},
    }
    app = open_app(write_config(tmp_path / "config", [source]), database_url, tmp_path / "data")
    summary = crawl_source(app.database, app.config, app.config.source("feed-log"), app.data_dir, "full")
    assert elsewhere.requests == []
    with app.database.session() as session:
        causes = [p.cause for p in problems_of_run(session, summary.run_id)]
    assert any("refused link to another host" in c for c in causes), causes
    assert any("refused file:" in c for c in causes), causes
