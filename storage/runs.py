"""Sources and crawl runs: registration, the one-running-crawl lock, statistics."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.models import CrawlRun, Source
from storage.processes import pid_alive

# A run still "running" after this long is taken to belong to a process that died.
STALE_RUN_AFTER = timedelta(hours=12)


class SourceBusy(RuntimeError):
    """Raised when a source already has a crawl running (in this or another process)."""


@dataclass(frozen=True)
class SourceRow:
    id: str
    platform: str
    authority: str
    url: str
    enabled: bool = True


@dataclass(frozen=True)
class RunStats:
    pages_fetched: int = 0
    items: int = 0
    invalid_items: int = 0
    errors: int = 0
    complete: bool = False
    error_summary: str | None = None
    listed: int = 0
    fields_filled: dict[str, int] = field(default_factory=dict)
    start_address: str | None = None


def sync_sources(session: Session, rows: Iterable[SourceRow]) -> None:
    """Insert or update the configured sources (sources are never deleted: their history stays)."""
    now = utcnow()
    for row in rows:
        source = session.get(Source, row.id)
        if source is None:
            source = Source(id=row.id, created_at=now)
            session.add(source)
        source.platform, source.authority, source.url = row.platform, row.authority, row.url
        source.enabled, source.updated_at = row.enabled, now
    session.flush()


def _is_abandoned(run: CrawlRun) -> bool:
    if utcnow() - run.started_at > STALE_RUN_AFTER:
        return True
    return run.host == socket.gethostname() and run.pid is not None and not pid_alive(run.pid)


def start_run(session: Session, source_id: str, mode: str = "full") -> CrawlRun:
    """Open a crawl run for a source, or raise ``SourceBusy`` if one is already running.

    The database's partial unique index makes this atomic across processes. A running row left
    by a dead process is closed as failed first, so a crash never locks a source for ever.
    """
    running = session.scalars(
        select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.status == "running")
    ).first()
    if running is not None:
        if not _is_abandoned(running):
            raise SourceBusy(f"source {source_id!r} already has crawl run {running.id} in progress")
        running.status, running.finished_at = "failed", utcnow()
        running.error_summary = "abandoned: the process running it stopped"
        session.flush()
    run = CrawlRun(
        source_id=source_id,
        started_at=utcnow(),
        status="running",
        mode=mode,
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    session.add(run)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise SourceBusy(f"source {source_id!r} already has a crawl in progress") from exc
    return run


def record_stats(session: Session, run_id: int, stats: RunStats) -> None:
    run = session.get_one(CrawlRun, run_id)
    run.pages_fetched, run.items = stats.pages_fetched, stats.items
    run.invalid_items, run.errors = stats.invalid_items, stats.errors
    run.complete, run.error_summary = stats.complete, stats.error_summary
    run.listed, run.fields_filled = stats.listed, dict(stats.fields_filled)
    run.start_address = stats.start_address


def finish_run(session: Session, run_id: int, status: str, error: str | None = None) -> CrawlRun:
    run = session.get_one(CrawlRun, run_id)
    run.status, run.finished_at = status, utcnow()
    if error:
        run.error_summary = f"{run.error_summary}; {error}" if run.error_summary else error
    return run


def record_node(session: Session, run_id: int, node: str) -> None:
    """Say where a run's crawl was sent (a Scrapyd node), as soon as it is."""
    session.get_one(CrawlRun, run_id).node = node


def is_running(session: Session, run_id: int) -> bool:
    """Whether the run is still open: nobody (the crawl, the service) has closed it yet."""
    return session.get_one(CrawlRun, run_id).status == "running"


def previous_successful_run(session: Session, source_id: str, before_run_id: int) -> CrawlRun | None:
    return session.scalars(
        select(CrawlRun)
        .where(
            CrawlRun.source_id == source_id,
            CrawlRun.status == "succeeded",
            CrawlRun.id < before_run_id,
        )
        .order_by(CrawlRun.id.desc())
    ).first()


def recent_runs(session: Session, source_id: str | None = None, limit: int = 20) -> list[CrawlRun]:
    query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if source_id:
        query = query.where(CrawlRun.source_id == source_id)
    return list(session.scalars(query))


def crawling_now(session: Session) -> list[CrawlRun]:
    """Runs marked running whose process is alive (or, on another host, not yet stale), oldest first."""
    running = session.scalars(select(CrawlRun).where(CrawlRun.status == "running").order_by(CrawlRun.id))
    return [run for run in running if not _is_abandoned(run)]


def last_finished_run(session: Session, source_id: str) -> CrawlRun | None:
    """The source's latest run that is over (succeeded, failed or interrupted)."""
    return session.scalars(
        select(CrawlRun)
        .where(CrawlRun.source_id == source_id, CrawlRun.status != "running")
        .order_by(CrawlRun.id.desc())
    ).first()


def last_run_with(session: Session, source_id: str, status: str, mode: str | None = None) -> CrawlRun | None:
    """The source's latest run with this status (and mode, if given)."""
    query = select(CrawlRun).where(CrawlRun.source_id == source_id, CrawlRun.status == status)
    if mode:
        query = query.where(CrawlRun.mode == mode)
    return session.scalars(query.order_by(CrawlRun.id.desc())).first()


def runs_by_status(session: Session) -> dict[str, dict[str, int]]:
    """How many runs each source has had, by status: ``{"met": {"succeeded": 40, "failed": 2}}``."""
    rows = session.execute(
        select(CrawlRun.source_id, CrawlRun.status, func.count()).group_by(
            CrawlRun.source_id, CrawlRun.status
        )
    )
    counts: dict[str, dict[str, int]] = {}
    for source_id, status, count in rows:
        counts.setdefault(source_id, {})[status] = count
    return counts


def any_runs(session: Session) -> bool:
    """Whether any source was ever crawled into this database."""
    return session.scalars(select(CrawlRun.id).limit(1)).first() is not None


def stored_sources(session: Session) -> list[Source]:
    """Every source ever registered, configured now or not."""
    return list(session.scalars(select(Source).order_by(Source.id)))


def known_source_ids(session: Session) -> list[str]:
    """Every source ever registered (a source dropped from the configuration keeps its history)."""
    return list(session.scalars(select(Source.id).order_by(Source.id)))
