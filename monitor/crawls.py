"""One crawl of one source, end to end: lock, crawl subprocess, diff, classify, queue notifications.

Every crawl runs in a fresh ``python -m crawler.run`` subprocess (Scrapy's reactor cannot be
restarted in one process; see the README). The database is the only channel between the two.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from crawler.config import SourceConfig
from monitor.changes import record_changes
from monitor.classify import TopicClassifier, build_classifiers
from monitor.config import Config
from monitor.health import update_health
from storage.clock import utcnow
from storage.db import Database
from storage.models import CrawlRun
from storage.responses import list_versions
from storage.runs import SourceBusy, SourceRow, finish_run, start_run, sync_sources

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlSummary:
    source_id: str
    status: str
    run_id: int | None = None
    pages: int = 0
    items: int = 0
    new: int = 0
    changed: int = 0
    withdrawn: int = 0
    errors: int = 0
    error: str | None = None
    health: str = "healthy"

    @property
    def failed(self) -> bool:
        return self.status != "succeeded"


def register_sources(database: Database, config: Config) -> None:
    rows = [SourceRow(s.id, s.platform, s.authority, s.url, s.enabled) for s in config.sources]
    with database.session() as session:
        sync_sources(session, rows)


def choose_mode(database: Database, config: Config, source_id: str) -> str:
    """Full crawl when the last complete one is older than ``full_crawl_every_hours``, else incremental."""
    every = config.crawler.full_crawl_every_hours
    if every <= 0:
        return "full"
    with database.session() as session:
        last_full = session.scalars(
            select(CrawlRun.started_at)
            .where(
                CrawlRun.source_id == source_id, CrawlRun.status == "succeeded", CrawlRun.complete.is_(True)
            )
            .order_by(CrawlRun.id.desc())
        ).first()
    if last_full is None or utcnow() - last_full > timedelta(hours=every):
        return "full"
    return "incremental"


def process_undiffed_runs(
    database: Database, classifiers: Mapping[str, TopicClassifier], source_id: str
) -> None:
    """Diff finished runs that never were (the service stopped mid-way), oldest first."""
    with database.session() as session:
        runs = session.scalars(
            select(CrawlRun)
            .where(CrawlRun.source_id == source_id, CrawlRun.diffed.is_(False), CrawlRun.status != "running")
            .order_by(CrawlRun.id)
        ).all()
        for run in runs:
            record_changes(session, run, classifiers)


_running: set[subprocess.Popen[bytes]] = set()
_running_lock = threading.Lock()


def stop_all_crawls() -> None:
    """Ask every crawl subprocess to stop (Scrapy closes its spider cleanly on SIGTERM)."""
    with _running_lock:
        processes = list(_running)
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)


def _run_subprocess(job: dict[str, object], timeout: float, log_file: Path) -> int:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "crawler.run", "--job", json.dumps(job)]
    with log_file.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        with _running_lock:
            _running.add(process)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error("crawl of %s exceeded %ss; stopping it", job["source"], timeout)
            os.killpg(process.pid, signal.SIGTERM)
            try:
                return process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                return process.wait()
        except BaseException:
            # The service is stopping: let Scrapy close the spider cleanly, then go.
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=60)
            raise
        finally:
            with _running_lock:
                _running.discard(process)


def crawl_source(
    database: Database, config: Config, source: SourceConfig, data_dir: Path, mode: str | None = None
) -> CrawlSummary:
    """Crawl one source now and record what changed; never raises for a failing site."""
    classifiers = build_classifiers(config.topics)
    chosen = mode or choose_mode(database, config, source.id)
    try:
        with database.session() as session:
            run_id = start_run(session, source.id, chosen).id
    except SourceBusy as exc:
        return CrawlSummary(source.id, "busy", error=str(exc))
    # Earlier runs never diffed (a crash, or a run just closed as abandoned) go first, oldest first.
    process_undiffed_runs(database, classifiers, source.id)
    job = {
        "source": source.model_dump(),
        "crawler": config.crawler.model_dump(),
        "data_dir": str(data_dir),
        "database_url": database.url,
        "run_id": run_id,
        "mode": chosen,
    }
    try:
        code = _run_subprocess(
            job, config.service.crawl_timeout_seconds, data_dir / "logs" / f"{source.id}.log"
        )
    except BaseException:
        with database.session() as session:
            finish_run(session, run_id, "failed", "interrupted: foiwatch was stopped")
        raise
    with database.session() as session:
        run = session.get_one(CrawlRun, run_id)
        if run.status == "running":
            finish_run(
                session,
                run_id,
                "succeeded" if code == 0 else "failed",
                None if code == 0 else f"crawler process exited with status {code}",
            )
        record_changes(session, run, classifiers)
        health = update_health(session, run, config.health)
        return CrawlSummary(
            source_id=source.id,
            status=run.status,
            run_id=run.id,
            pages=run.pages_fetched,
            items=run.items,
            new=run.new_count,
            changed=run.changed_count,
            withdrawn=run.withdrawn_count,
            errors=run.errors,
            error=run.error_summary or run.health_problem,
            health=health.status,
        )


@dataclass(frozen=True)
class CheckReport:
    """What one fetch of a source found, for an operator adding or repairing it. Nothing is kept."""

    source_id: str
    status: str
    listed: int
    items: int
    invalid: int
    errors: int
    fields_filled: dict[str, int]
    samples: list[tuple[str | None, str]]
    problem: str | None


def check_source(config: Config, source: SourceConfig) -> CheckReport:
    """Fetch the source's first listing page and its responses into a throw-away database."""
    with tempfile.TemporaryDirectory(prefix="foiwatch-check-") as scratch:
        work = Path(scratch)
        database = Database(f"sqlite:///{work / 'check.sqlite3'}")
        try:
            register = SourceRow(source.id, source.platform, source.authority, source.url, True)
            with database.session() as session:
                sync_sources(session, [register])
            one_page = source.model_copy(update={"max_pages": 1})
            quiet = config.crawler.model_copy(update={"http_cache": False})
            checked = replace(config, crawler=quiet, sources=[one_page])
            summary = crawl_source(database, checked, one_page, work, "full")
            with database.session() as session:
                run = session.get_one(CrawlRun, summary.run_id)
                samples = [(v.response.reference, v.title) for v in list_versions(session, limit=5)]
                return CheckReport(
                    source.id,
                    run.status,
                    run.listed,
                    run.items,
                    run.invalid_items,
                    run.errors,
                    dict(run.fields_filled),
                    samples,
                    run.error_summary,
                )
        finally:
            database.dispose()
