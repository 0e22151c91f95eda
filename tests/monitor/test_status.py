"""``service_status`` and ``foiwatch status``: schedules, last and next runs, crawls now, the outbox."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from monitor.app import App, open_app
from monitor.cli.main import main
from monitor.service.status import next_run_time, service_status
from storage.clock import utcnow
from storage.models import CrawlRun, Notification, Subscriber
from storage.outbox import OutgoingMessage, enqueue
from storage.runs import finish_run, start_run
from tests.conftest import write_config

FRIDAY_7AM = datetime(2026, 1, 30, 7, 0, tzinfo=UTC)
DNS_FAILURE = "the start page could not be fetched: DNS lookup failed for www.met.police.uk"


@pytest.mark.parametrize(
    ("schedule", "last", "expected"),
    [
        ("every 6 hours", FRIDAY_7AM, FRIDAY_7AM + timedelta(hours=6)),
        ("every 30 minutes", FRIDAY_7AM, FRIDAY_7AM + timedelta(minutes=30)),
        ("every 6 hours", None, None),  # the service crawls it soon after it starts
        ("0 7 * * 1-5", FRIDAY_7AM, datetime(2026, 2, 2, 7, 0, tzinfo=UTC)),  # Friday -> Monday
        ("0 7 * * 1-5", None, datetime(2026, 2, 2, 7, 0, tzinfo=UTC)),  # from now (Saturday)
    ],
    ids=["interval", "minutes", "interval-never-ran", "cron-weekdays", "cron-never-ran"],
)
def test_next_run_time_follows_the_schedule_and_the_last_run(
    schedule: str, last: datetime | None, expected: datetime | None
) -> None:
    saturday = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert next_run_time(schedule, last, saturday) == expected


def _source(source_id: str, **extra: object) -> dict[str, object]:
    return {
        "id": source_id,
        "platform": "police_soh",
        "authority": f"Authority {source_id}",
        "url": f"https://{source_id}.example.org/foi-ai/{source_id}/disclosure-log/",
        **extra,
    }


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> App:
    """Three sources (one failed on DNS, one crawling now, one disabled), an outbox in each state."""
    config = write_config(
        tmp_path / "config",
        [_source("met", schedule="every 6 hours"), _source("kent"), _source("off", enabled=False)],
        subscribers=[{"name": "desk", "urls": ["json://127.0.0.1:9/"]}],
    )
    opened = open_app(config, database_url, tmp_path / "data")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with opened.database.session() as session:
        failed = start_run(session, "met", "full")
        failed.started_at = utcnow() - timedelta(hours=1)
        finish_run(session, failed.id, "failed", DNS_FAILURE)
        start_run(session, "kent", "incremental")  # this process: alive
        session.flush()
        ghost = start_run(session, "off", "full")
        ghost.pid = dead.pid  # its process has gone: not crawling
        desk = session.scalars(select(Subscriber.id)).one()
        for number, state in enumerate(["pending", "pending", "failed", "dead", "sent"]):
            enqueue(session, OutgoingMessage(desk, f"new:{number}", "new", "cctv", f"t{number}", "body"))
            session.flush()
            row = session.scalars(select(Notification).order_by(Notification.id.desc())).first()
            assert row is not None
            row.status = state
            row.created_at = utcnow() - timedelta(hours=number)
    return opened


def test_service_status_gathers_sources_crawls_and_the_outbox(app: App) -> None:
    status = service_status(app)
    met, kent, off = status.sources
    assert (met.id, met.schedule, met.enabled) == ("met", "every 6 hours", True)
    assert met.last_run is not None and met.last_run.status == "failed"
    assert met.last_run.cause == "DNS lookup failed for www.met.police.uk"
    assert met.next_run == met.last_run.started_at + timedelta(hours=6)
    assert met.next_mode == "full" and met.last_success_at is None
    assert met.runs == {"failed": 1}
    assert kent.last_run is None and kent.next_run is None  # only a running run: not over yet
    assert off.next_run is None and not off.enabled
    assert [(c.source_id, c.mode, c.stuck) for c in status.crawling] == [("kent", "incremental", False)]
    outbox = status.notifications
    assert (outbox.pending, outbox.failed, outbox.dead) == (2, 1, 1)
    assert outbox.by_status == {"pending": 2, "failed": 1, "dead": 1, "sent": 1}
    # the oldest waiting is the failed one, queued two hours ago
    assert outbox.oldest_waiting_seconds is not None and 7100 < outbox.oldest_waiting_seconds < 7300
    assert status.service is None
    encoded = json.loads(json.dumps(status.as_dict()))
    assert encoded["sources"][0]["last_run"]["cause"] == "DNS lookup failed for www.met.police.uk"
    assert encoded["sources"][0]["next_run"].startswith(str(met.next_run.date()))


def test_status_command_prints_causes_in_words_and_json(app: App, tmp_path: Path) -> None:
    base = ["--config", str(app.config.directory), "--data-dir", str(app.data_dir), "--db", app.database.url]
    result = CliRunner().invoke(main, [*base, "status"])
    assert result.exit_code == 0, result.output
    met_row = next(line for line in result.output.splitlines() if " met " in line)
    assert "failed: DNS lookup failed for www.met.police.uk" in met_row
    assert "DNSLookupError" not in result.output
    assert "crawling now: kent (incremental" in result.output
    assert "notifications: 2 pending, 0 sending, 1 failed (to retry), 1 dead" in result.output
    assert "service: not running" in result.output
    as_json = CliRunner().invoke(main, [*base, "status", "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert [s["id"] for s in data["sources"]] == ["met", "kent", "off"]
    assert data["crawling"][0]["source_id"] == "kent"
    assert data["notifications"]["dead"] == 1


def test_run_ids_left_running_by_a_dead_process_are_not_crawling(app: App) -> None:
    with app.database.session() as session:
        ghost = session.scalars(select(CrawlRun).where(CrawlRun.source_id == "off")).one()
        assert ghost.status == "running"
    assert "off" not in {c.source_id for c in service_status(app).crawling}


def test_a_live_service_and_an_unhealthy_source_are_shown(app: App) -> None:
    import os
    import socket

    from storage.models import SourceHealth
    from storage.service_lock import acquire

    with app.database.session() as session:
        acquire(session, os.getpid(), socket.gethostname())
    with app.database.session() as session:
        health = SourceHealth(
            source_id="met",
            status="unhealthy",
            consecutive_bad=3,
            last_problem="DNS lookup failed for www.met.police.uk",
            updated_at=utcnow(),
        )
        session.add(health)
        kent = session.scalars(select(CrawlRun).where(CrawlRun.source_id == "kent")).one()
        kent.started_at = utcnow() - timedelta(hours=2)  # past the 1 h crawl timeout
    status = service_status(app)
    assert [(c.source_id, c.stuck) for c in status.crawling] == [("kent", True)]
    assert status.service is not None and status.service.alive and status.service.pid == os.getpid()
    met = status.sources[0]
    assert (met.health, met.bad_runs, met.health_problem) == (
        "unhealthy",
        3,
        "DNS lookup failed for www.met.police.uk",
    )
    base = ["--config", str(app.config.directory), "--data-dir", str(app.data_dir), "--db", app.database.url]
    shown = CliRunner().invoke(main, [*base, "status"]).output
    assert f"service: running: process {os.getpid()}" in shown
    assert "unhealthy: DNS lookup failed" in shown
