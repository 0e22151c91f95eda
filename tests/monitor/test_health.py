"""Source health: a broken source raises one alert to admins, after N bad runs, and a recovery notice."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from monitor.app import open_app
from monitor.config import HealthSettings
from monitor.demo.localsite import LocalSite, Receiver
from monitor.notify.deliver import deliver_pending
from monitor.service.crawls import crawl_source
from monitor.service.health import run_problem
from storage.clock import utcnow
from storage.db import Database
from storage.models import CrawlRun, SourceHealth
from storage.runs import SourceRow, sync_sources
from tests.conftest import SOH_SITE, free_port, write_config

LOG = "foi-ai/cleveland-police/disclosure/index.html"


def test_a_broken_source_alerts_admins_once_and_then_recovers(tmp_path: Path, database_url: str) -> None:
    root = tmp_path / "site"
    shutil.copytree(SOH_SITE, root)
    good_listing = (root / LOG).read_text(encoding="utf-8")
    with LocalSite(root) as site, Receiver() as admin, Receiver() as reader:
        config = write_config(
            tmp_path / "config",
            [
                {
                    "id": "cleveland",
                    "platform": "police_soh",
                    "authority": "Cleveland Police",
                    "url": site.url("/foi-ai/cleveland-police/disclosure/"),
                }
            ],
            subscribers=[
                {"name": "ops", "urls": [admin.apprise_url()], "topics": ["cctv"], "admin": True},
                {"name": "reader", "urls": [reader.apprise_url()], "topics": ["cctv"]},
            ],
        )
        app = open_app(config, database_url, tmp_path / "data")
        source = app.config.source("cleveland")

        def crawl() -> str:
            summary = crawl_source(app.database, app.config, source, app.data_dir, "full")
            deliver_pending(app.database, app.config.notifications)
            return summary.health

        assert crawl() == "healthy"
        (root / LOG).write_text(good_listing.split("<main")[0] + "<main><p>Page not found</p></main></html>")
        assert [crawl() for _ in range(4)] == ["healthy", "healthy", "unhealthy", "unhealthy"]
        (root / LOG).write_text(good_listing, encoding="utf-8")
        assert crawl() == "healthy"

    titles = [json.loads(body)["title"] for body in admin.received]
    assert titles == [
        "[foiwatch] source cleveland looks broken",
        "[foiwatch] source cleveland is working again",
    ]
    assert "no responses listed" in json.loads(admin.received[0])["message"]
    assert all("source cleveland" not in json.loads(body)["title"] for body in reader.received)


def _run(database: Database, run_id: int, listed: int, items: int, filled: dict[str, int]) -> CrawlRun:
    with database.session() as session:
        run = CrawlRun(
            id=run_id,
            source_id="s",
            started_at=utcnow() - timedelta(hours=run_id),
            status="succeeded",
            mode="full",
            listed=listed,
            items=items,
            fields_filled=filled,
            finished_at=utcnow(),
        )
        session.add(run)
    return run


def test_a_run_far_below_its_history_or_missing_a_usual_field_is_bad(database: Database) -> None:
    with database.session() as session:
        sync_sources(session, [SourceRow("s", "police_soh", "S", "https://s.example/")])
    full = {"reference": 20, "published": 20, "request": 19, "outcome": 18}
    for run_id in (1, 2, 3):
        _run(database, run_id, listed=20, items=20, filled=full)
    settings = HealthSettings()
    _run(database, 4, listed=20, items=20, filled=full)
    _run(database, 5, listed=4, items=4, filled={"reference": 4, "published": 4, "request": 4, "outcome": 4})
    _run(database, 6, listed=20, items=20, filled={**full, "reference": 1})
    with database.session() as session:
        problems = [run_problem(session, session.get_one(CrawlRun, i), settings) for i in (4, 5, 6)]
    assert problems[0] is None
    assert problems[1] == "listed 4 responses where it usually lists about 20"
    assert problems[2] == "'reference' found in 5% of responses, down from 100%"


def test_runs_no_executor_could_take_leave_the_source_healthy_and_alert_admins_once_about_the_executor(
    tmp_path: Path, database_url: str
) -> None:
    """No Scrapyd node answers: each run fails with the nodes' reasons, but the source is not called
    broken; after alert_after_runs such runs admins hear once that crawls cannot run, and once that
    they run again when a crawl reaches its site."""
    with LocalSite(SOH_SITE) as site, Receiver() as admin:
        sources = [
            {
                "id": source_id,
                "platform": "police_soh",
                "authority": "Cleveland Police",
                "url": site.url("/foi-ai/cleveland-police/disclosure/"),
            }
            for source_id in ("cleveland-a", "cleveland-b")
        ]
        subscribers = [{"name": "ops", "urls": [admin.apprise_url()], "topics": ["cctv"], "admin": True}]
        down = {"kind": "scrapyd", "urls": [f"http://127.0.0.1:{free_port()}"], "poll_seconds": 0.2}
        config = write_config(tmp_path / "down", sources, subscribers, executor=down)
        app = open_app(config, database_url, tmp_path / "data")

        def crawl(source_id: str) -> tuple[str, str, str | None]:
            summary = crawl_source(
                app.database, app.config, app.config.source(source_id), app.data_dir, "full"
            )
            deliver_pending(app.database, app.config.notifications)
            return summary.status, summary.health, summary.cause

        failed = [
            crawl(source_id) for source_id in ("cleveland-a", "cleveland-b", "cleveland-a", "cleveland-b")
        ]
        assert [(status, health) for status, health, _ in failed] == [("failed", "healthy")] * 4
        assert all(cause and "no Scrapyd node took the crawl" in cause for _, _, cause in failed)
        assert site.requests == []
        with app.database.session() as session:
            assert [h.consecutive_bad for h in session.scalars(select(SourceHealth))] == [0, 0]
            runs = list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
            assert [r.executor_failed for r in runs] == [True] * 4
            assert all(r.health_problem is None for r in runs)
        app.database.dispose()

        local = write_config(tmp_path / "up", sources, subscribers)
        app = open_app(local, database_url, tmp_path / "data")
        assert crawl("cleveland-a")[:2] == ("succeeded", "healthy")
        assert crawl("cleveland-b")[:2] == ("succeeded", "healthy")
        app.database.dispose()

    messages = [json.loads(body) for body in admin.received]
    assert [m["title"] for m in messages] == ["[foiwatch] crawls cannot run", "[foiwatch] crawls run again"]
    assert "The last 3 crawls failed for the crawl executor, not their sites" in messages[0]["message"]
    assert "127.0.0.1" in messages[0]["message"] and "does not answer" in messages[0]["message"]
