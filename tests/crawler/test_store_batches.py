"""Items are stored in batches (``crawler.pipelines``): what a real crawl of saved pages keeps when
the database refuses one of its responses.

The refusal is the database's own: a trigger that aborts the insert of one response's version, as a
constraint or a full disk would.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import func, select, text

from monitor.app import open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import CrawlSummary, crawl_source
from monitor.service.executors import allow_crawls, stop_all_crawls
from storage.models import CrawlRun, Response
from storage.problems import problems_of_run
from tests.conftest import SOH_SITE, write_config

MET_LOG = "/foi-ai/metropolitan-police/disclosure-log/"
REFUSED = "cctv-on-the-police-estate"
REFUSE_ONE = f"""
CREATE TRIGGER refuse_one BEFORE INSERT ON response_versions
WHEN NEW.url LIKE '%{REFUSED}%'
BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
"""


def test_a_response_the_database_refuses_is_lost_alone_and_fails_the_run(
    tmp_path: Path, database_url: str
) -> None:
    with LocalSite(SOH_SITE) as site:
        source = {"id": "met", "platform": "police_soh", "authority": "Met", "url": site.url(MET_LOG)}
        app = open_app(write_config(tmp_path / "config", [source]), database_url, tmp_path / "data")
        with app.database.engine.begin() as connection:
            connection.execute(text(REFUSE_ONE))

        refused = crawl_source(app.database, app.config, app.config.source("met"), app.data_dir, "full")

        assert refused.status == "failed" and refused.run_id is not None
        assert refused.error is not None and "1 responses could not be stored" in refused.error
        with app.database.session() as session:
            stored = session.scalar(select(func.count()).select_from(Response))
            assert stored == refused.items - 1  # every other response of its batch is kept
            assert not session.scalars(select(Response).where(Response.url.contains(REFUSED))).all()
            problems = problems_of_run(session, refused.run_id)
        assert [p.stage for p in problems if REFUSED in (p.url or "")] == ["store"]
        assert any("refused by the test" in p.cause for p in problems if p.stage == "store")

        # Nothing of it was stored, so the next crawl reads it again.
        with app.database.engine.begin() as connection:
            connection.execute(text("DROP TRIGGER refuse_one"))
        again = crawl_source(app.database, app.config, app.config.source("met"), app.data_dir, "full")
        assert again.status == "succeeded", again.error
        assert again.new == 1
        app.database.dispose()


def test_a_slow_crawl_stores_each_response_within_moments_not_at_its_end(
    tmp_path: Path, database_url: str
) -> None:
    """Fewer than a batch of responses, a second apart: each is written by the batch timer while
    the crawl goes on, so a crawl stopped or killed later has kept them."""
    with LocalSite(SOH_SITE) as site:
        source = {"id": "met", "platform": "police_soh", "authority": "Met", "url": site.url(MET_LOG)}
        config = write_config(tmp_path / "config", [source], crawler={"download_delay": 1})
        app = open_app(config, database_url, tmp_path / "data")

        def stored() -> int:
            with app.database.session() as session:
                return int(session.scalar(select(func.count()).select_from(Response)) or 0)

        def crawl_running() -> bool:
            with app.database.session() as session:
                return session.scalar(select(CrawlRun.status)) == "running"

        results: list[CrawlSummary] = []
        crawling = threading.Thread(
            target=lambda: results.append(
                crawl_source(app.database, app.config, app.config.source("met"), app.data_dir, "full")
            )
        )
        crawling.start()
        try:
            give_up = time.monotonic() + 60
            while stored() == 0 and crawling.is_alive() and time.monotonic() < give_up:
                time.sleep(0.2)
            # its run still open, and pages of its log still to fetch
            assert stored() > 0 and crawl_running(), "nothing was stored while the crawl ran"
            assert len(site.requests) < 14
        finally:
            stop_all_crawls()
            crawling.join(timeout=60)
            allow_crawls()
        assert results and results[0].status == "interrupted"
        assert stored() >= 1
        app.database.dispose()
