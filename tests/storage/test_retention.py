"""Old crawl run records are deleted, except those something points at and each source's latest success."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from monitor.app import open_app
from monitor.service.scheduler import PRUNE_JOB_ID, Service, build_scheduler
from storage.clock import utcnow
from storage.db import Database
from storage.models import CrawlRun, Notification, Response, ResponseVersion, RunProblem, Source, Subscriber
from storage.problems import ProblemRecord, record_problems
from storage.retention import prune_runs
from tests.conftest import write_config

DAY = timedelta(days=1)


def _source(database: Database, source_id: str) -> None:
    with database.session() as session:
        now = utcnow()
        session.add(
            Source(
                id=source_id,
                platform="feed",
                authority="A",
                url="https://a.example/",
                created_at=now,
                updated_at=now,
            )
        )


def _run(database: Database, source_id: str, age_days: int, status: str = "succeeded") -> int:
    with database.session() as session:
        started = utcnow() - age_days * DAY
        run = CrawlRun(
            source_id=source_id, started_at=started, finished_at=started, status=status, mode="full"
        )
        session.add(run)
        session.flush()
        record_problems(session, run.id, [ProblemRecord("page", "https://a.example/x", "HTTP 404 at x")])
        return run.id


def _response(database: Database, key: str, first: int, last: int, listed: int, version_run: int) -> None:
    with database.session() as session:
        now = utcnow()
        response = Response(
            source_id="met",
            key=key,
            url=f"https://a.example/{key}",
            first_seen=now,
            last_seen=now,
            first_run_id=first,
            last_run_id=last,
            last_listed_run_id=listed,
            current_hash="h",
        )
        session.add(response)
        session.flush()
        session.add(
            ResponseVersion(
                response_id=response.id,
                content_hash="h",
                authority="A",
                title=key,
                url=response.url,
                first_seen=now,
                last_seen=now,
                first_run_id=version_run,
            )
        )


def _remaining(database: Database) -> set[int]:
    with database.session() as session:
        return set(session.scalars(select(CrawlRun.id)))


def test_old_runs_go_unless_something_points_at_them(database: Database) -> None:
    _source(database, "met")
    _source(database, "kent")
    first_seen, last_seen, last_listed, versioned = (_run(database, "met", 900 - n) for n in range(4))
    plain_old = [_run(database, "met", 800), _run(database, "met", 700, "failed")]
    queued = _run(database, "met", 600)
    kent_success = _run(database, "kent", 500)  # kent's latest success: kept however old
    kent_failures = [_run(database, "kent", 450, "failed"), _run(database, "kent", 10, "failed")]
    met_latest = _run(database, "met", 400)
    recent = _run(database, "met", 5, "failed")
    stuck = _run(database, "met", 1000, "running")
    _response(database, "one", first_seen, last_seen, last_listed, first_seen)
    _response(database, "two", first_seen, first_seen, first_seen, versioned)
    with database.session() as session:
        session.add(
            Subscriber(
                name="desk", urls=[], topics=[], authorities=[], created_at=utcnow(), updated_at=utcnow()
            )
        )
        session.flush()
        desk = session.scalars(select(Subscriber.id)).one()
        session.add(
            Notification(
                subscriber_id=desk,
                event_key="e",
                event="new",
                run_id=queued,
                topic="cctv",
                title="t",
                body="b",
                next_attempt_at=utcnow(),
                created_at=utcnow(),
            )
        )

    with database.session() as session:
        deleted = prune_runs(session, utcnow() - 365 * DAY)

    gone = {*plain_old, kent_failures[0]}
    assert deleted == len(gone)
    assert _remaining(database) == {
        first_seen,
        last_seen,
        last_listed,
        versioned,
        queued,
        kent_success,
        kent_failures[1],
        met_latest,
        recent,
        stuck,
    }
    with database.session() as session:
        assert set(session.scalars(select(RunProblem.run_id))) == _remaining(database)  # problems went too
    with database.session() as session:
        assert prune_runs(session, utcnow() - 365 * DAY) == 0  # nothing more to do


def test_the_service_prunes_daily_by_its_setting(tmp_path: Path, database_url: str) -> None:
    source = {"id": "met", "platform": "feed", "authority": "A", "url": "https://a.example/feed"}
    config = write_config(tmp_path / "config", [source], service={"keep_runs_days": 30})
    app = open_app(config, database_url, tmp_path / "data")
    old = [
        _run(app.database, "met", 40),
        _run(app.database, "met", 35, "failed"),
        _run(app.database, "met", 20),
    ]
    service = Service(app, config)
    scheduler = build_scheduler(service)
    try:
        job = scheduler.get_job(PRUNE_JOB_ID)
        assert job is not None and job.trigger.interval == DAY
        assert isinstance(job.next_run_time, datetime)
        assert service.prune() == 2  # both older than 30 days and not the latest success
        assert _remaining(app.database) == {old[2]}
    finally:
        scheduler.shutdown(wait=False)
        app.database.dispose()


def test_zero_keeps_every_run(tmp_path: Path) -> None:
    source = {"id": "met", "platform": "feed", "authority": "A", "url": "https://a.example/feed"}
    config = write_config(tmp_path / "config", [source], service={"keep_runs_days": 0})
    app = open_app(config, None, tmp_path / "data")
    _run(app.database, "met", 4000, "failed")
    _run(app.database, "met", 3000, "failed")
    assert Service(app, config).prune() == 0
    assert len(_remaining(app.database)) == 2
    app.database.dispose()
