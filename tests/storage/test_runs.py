"""Crawl runs on a real database: the one-running-crawl lock, abandoned runs, statistics."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database, shared_database
from storage.models import CrawlRun
from storage.runs import (
    RunStats,
    SourceBusy,
    SourceRow,
    finish_run,
    previous_successful_run,
    record_stats,
    start_run,
    sync_sources,
)

MET = SourceRow(
    "metropolitan-police",
    "police_soh",
    "Metropolitan Police Service",
    "https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-log/",
)
CLEVELAND = SourceRow(
    "cleveland-police",
    "police_soh",
    "Cleveland Police",
    "https://www.cleveland.police.uk/foi-ai/cleveland-police/disclosure/",
)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(database: Database) -> Database:
    with database.session() as session:
        sync_sources(session, [MET, CLEVELAND])
    return database


def _start(database: Database, source_id: str = MET.id) -> int:
    with database.session() as session:
        return start_run(session, source_id).id


def _runs(database: Database) -> list[tuple[int, str, str]]:
    with database.session() as session:
        return [
            (run.id, run.source_id, run.status)
            for run in session.scalars(select(CrawlRun).order_by(CrawlRun.id))
        ]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_running_source_is_busy_for_every_session_and_connection(db: Database, database_url: str) -> None:
    first = _start(db)

    with pytest.raises(SourceBusy), db.session() as session:
        start_run(session, MET.id)
    other = Database(database_url)
    try:
        with pytest.raises(SourceBusy), other.session() as session:
            start_run(session, MET.id)
    finally:
        other.dispose()
    cleveland = _start(db, CLEVELAND.id)

    assert _runs(db) == [(first, MET.id, "running"), (cleveland, CLEVELAND.id, "running")]


def test_a_second_start_in_the_same_session_is_refused(db: Database) -> None:
    with db.session() as session:
        run = start_run(session, MET.id)
        with pytest.raises(SourceBusy):
            start_run(session, MET.id)
    assert _runs(db) == [(run.id, MET.id, "running")]


def test_the_database_allows_one_running_run_per_source(db: Database) -> None:
    # What keeps two processes that both saw no running row from both starting.
    _start(db)
    with pytest.raises(IntegrityError), db.session() as session:
        session.add(CrawlRun(source_id=MET.id, started_at=T0, status="running"))
    with db.session() as session:
        session.add(CrawlRun(source_id=MET.id, started_at=T0, status="failed"))
    assert [status for _, _, status in _runs(db)] == ["running", "failed"]


def test_a_run_whose_process_died_is_closed_as_abandoned(db: Database) -> None:
    with freeze_time(T0):
        dead_run = _start(db)
    with db.session() as session:
        session.get_one(CrawlRun, dead_run).pid = _dead_pid()

    with freeze_time(T0 + timedelta(minutes=5)):
        new_run = _start(db)

    with db.session() as session:
        dead, new = session.get_one(CrawlRun, dead_run), session.get_one(CrawlRun, new_run)
    assert dead.status == "failed"
    assert dead.finished_at == T0 + timedelta(minutes=5)
    assert dead.error_summary == "abandoned: the process running it stopped"
    assert (new.status, new.pid, new.host) == ("running", os.getpid(), socket.gethostname())


def test_a_run_on_another_host_is_busy_until_it_is_stale(db: Database) -> None:
    with freeze_time(T0):
        remote_run = _start(db)
    with db.session() as session:
        run = session.get_one(CrawlRun, remote_run)
        run.host, run.pid = "crawler-2.internal", _dead_pid()

    with freeze_time(T0 + timedelta(hours=11)), pytest.raises(SourceBusy), db.session() as session:
        start_run(session, MET.id)
    with freeze_time(T0 + timedelta(hours=13)):
        new_run = _start(db)

    assert _runs(db) == [(remote_run, MET.id, "failed"), (new_run, MET.id, "running")]


def test_record_stats_and_finish_run(db: Database) -> None:
    run_id = _start(db)
    stats = RunStats(
        pages_fetched=14,
        items=11,
        invalid_items=1,
        errors=2,
        complete=False,
        error_summary="listing page 3 returned HTTP 500",
    )
    with db.session() as session:
        record_stats(session, run_id, stats)
    with freeze_time(T0), db.session() as session:
        finish_run(session, run_id, "failed", "crawler process exited with status 1")

    with db.session() as session:
        run = session.get_one(CrawlRun, run_id)
    assert (run.pages_fetched, run.items, run.invalid_items, run.errors) == (14, 11, 1, 2)
    assert run.complete is False
    assert run.status == "failed"
    assert run.finished_at == T0
    assert run.error_summary == "listing page 3 returned HTTP 500; crawler process exited with status 1"
    _start(db)  # a finished run no longer holds the source


def test_finish_run_without_error_keeps_the_summary_empty(db: Database) -> None:
    run_id = _start(db)
    with db.session() as session:
        record_stats(session, run_id, RunStats(pages_fetched=3, items=20, complete=True))
        finish_run(session, run_id, "succeeded")
    with db.session() as session:
        run = session.get_one(CrawlRun, run_id)
    assert (run.status, run.complete, run.error_summary) == ("succeeded", True, None)


def test_previous_successful_run(db: Database) -> None:
    ids: dict[str, int] = {}
    for name, source_id, status in [
        ("met-ok-1", MET.id, "succeeded"),
        ("met-failed", MET.id, "failed"),
        ("cleveland-ok", CLEVELAND.id, "succeeded"),
        ("met-ok-2", MET.id, "succeeded"),
        ("met-now", MET.id, None),
    ]:
        ids[name] = _start(db, source_id)
        if status:
            with db.session() as session:
                finish_run(session, ids[name], status)

    def previous(source_id: str, before: str) -> int | None:
        with db.session() as session:
            run = previous_successful_run(session, source_id, ids[before])
        return run.id if run else None

    assert previous(MET.id, "met-now") == ids["met-ok-2"]
    assert previous(MET.id, "met-ok-2") == ids["met-ok-1"]
    assert previous(MET.id, "met-failed") == ids["met-ok-1"]
    assert previous(MET.id, "met-ok-1") is None
    assert previous(CLEVELAND.id, "met-now") == ids["cleveland-ok"]


def test_a_crawl_process_shares_one_database_and_it_outlives_dispose(db: Database, database_url: str) -> None:
    """A crawl's spider, pipeline and extensions ask for the same URL and get one engine (one pool,
    one statement cache); one of them disposing it leaves it usable for the others."""
    first = shared_database(database_url)
    assert shared_database(database_url) is first
    with first.session() as session:
        run_id = start_run(session, MET.id).id
    first.dispose()
    with shared_database(database_url).session() as session:
        assert session.get_one(CrawlRun, run_id).status == "running"
    first.dispose()
