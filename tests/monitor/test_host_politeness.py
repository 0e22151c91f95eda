"""Sources on one host take turns: two crawls started together never interleave their requests.

Real crawls (subprocesses, Scrapy) of two police logs served by one local site, started at the
same moment from two threads, as the scheduler's thread pool would.
"""

from __future__ import annotations

import threading
from pathlib import Path

from monitor.app import open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import crawl_source, source_hosts
from tests.conftest import write_config
from tests.monitor.test_service import _sources


def _force(path: str) -> str | None:
    for force in ("metropolitan-police", "cleveland-police"):
        if f"/{force}/" in path:
            return force
    return None


def test_two_sources_on_one_host_are_crawled_one_after_the_other(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    sources = _sources(soh_site)
    config = write_config(tmp_path / "config", sources, crawler={"concurrent_requests_per_domain": 4})
    app = open_app(config, database_url, tmp_path / "data")
    assert len({tuple(source_hosts(source)) for source in app.config.sources}) == 1  # one host
    results: dict[str, str] = {}
    start = threading.Barrier(len(app.config.sources))

    def crawl(index: int) -> None:
        source = app.config.sources[index]
        start.wait()
        results[source.id] = crawl_source(app.database, app.config, source, app.data_dir, "full").status

    threads = [threading.Thread(target=crawl, args=(i,)) for i in range(len(app.config.sources))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    app.database.dispose()
    assert results == {"met": "succeeded", "cleveland": "succeeded"}
    order = [force for force in (_force(r.path) for r in soh_site.requests) if force]
    switches = sum(1 for before, after in zip(order, order[1:], strict=False) if before != after)
    assert switches == 1, order  # all of one crawl's requests, then all of the other's
    assert len(set(order)) == 2
