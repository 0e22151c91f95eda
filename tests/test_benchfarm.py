"""The benchmark farm's pages are read by a real foiwatch crawl as the farm means them to be.

A tiny farm (2 logs x 5 responses) is served by the farm's own server and crawled by foiwatch: every
response is stored, the CCTV ones (and only those) are classified as CCTV, letters are fetched, and
the server counted each request. So the farm cannot drift from the parsers unnoticed. No timing.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from monitor.app import open_app
from monitor.service.crawls import crawl_source
from storage.models import Response
from tests.benchfarm.farm import Farm
from tests.benchfarm.server import FarmProcess


def test_a_foiwatch_crawl_reads_every_farm_response(tmp_path: Path) -> None:
    farm = Farm(tmp_path / "farm", sources=2, responses=5, seed=7)
    farm.site.mkdir(parents=True)
    with FarmProcess(farm.site) as server:
        farm.write(server.base_url, "json://127.0.0.1:9/notify")
        app = open_app(farm.config, f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}", tmp_path / "data")
        for source in app.config.sources:
            summary = crawl_source(app.database, app.config, source, app.data_dir, "full")
            assert summary.status == "succeeded", summary.in_words()
        counts = server.stats()

    with app.database.session() as session:
        stored = {r.key: r for r in session.scalars(select(Response))}
        for entries in farm.logs.values():
            for entry in entries:
                version = stored[entry.reference].versions[-1]
                assert version.title == entry.title
                cctv = [m.matched for m in version.topic_matches if m.topic == "cctv"]
                assert cctv == [entry.text.cctv], entry.title
                letters = [a.url.removeprefix(server.base_url) for a in version.attachments if a.text]
                assert letters == ([entry.letter_path()] if entry.letter else [])
    assert len(stored) == 10
    assert {p for p, _ in counts} == set(farm.paths()) | {"/robots.txt"}
    assert all(status == 200 for path, status in counts if path != "/robots.txt"), counts
    # once for the host: the second crawl uses the first one's copy (RFC 9309 caching)
    assert counts[("/robots.txt", 200)] == 1 and counts[("/robots.txt", 304)] == 0
