"""How the service is doing, read from the database: what /metrics and /healthz report.

The database is the truth: crawls run in their own processes and notifications may be sent by
another worker, so figures are counted from the stored runs and outbox, not kept in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.models import CrawlRun, Response
from storage.outbox import count_by_status, oldest_undelivered
from storage.runs import runs_by_status


@dataclass(frozen=True)
class SourceFigures:
    runs: dict[str, int] = field(default_factory=dict)  # by result: succeeded, failed, running...
    items: int = 0
    new: int = 0
    changed: int = 0
    withdrawn: int = 0
    errors: int = 0
    responses: int = 0
    last_duration_seconds: float | None = None
    last_success: datetime | None = None


@dataclass(frozen=True)
class Figures:
    sources: dict[str, SourceFigures]
    notifications: dict[str, int]
    oldest_pending_age_seconds: float | None


def figures(session: Session) -> Figures:
    """Per-source run counts and totals, notifications by state, the age of the oldest undelivered one."""
    runs = runs_by_status(session)
    totals = {
        row.source_id: row
        for row in session.execute(
            select(
                CrawlRun.source_id,
                func.coalesce(func.sum(CrawlRun.items), 0).label("items"),
                func.coalesce(func.sum(CrawlRun.new_count), 0).label("new"),
                func.coalesce(func.sum(CrawlRun.changed_count), 0).label("changed"),
                func.coalesce(func.sum(CrawlRun.withdrawn_count), 0).label("withdrawn"),
                func.coalesce(func.sum(CrawlRun.errors), 0).label("errors"),
            ).group_by(CrawlRun.source_id)
        )
    }
    responses = {
        source_id: count
        for source_id, count in session.execute(
            select(Response.source_id, func.count()).group_by(Response.source_id)
        )
    }
    last_success = {
        source_id: moment
        for source_id, moment in session.execute(
            select(CrawlRun.source_id, func.max(CrawlRun.finished_at))
            .where(CrawlRun.status == "succeeded")
            .group_by(CrawlRun.source_id)
        )
    }
    last_finished = select(func.max(CrawlRun.id)).where(CrawlRun.finished_at.is_not(None))
    durations = {
        run.source_id: (run.finished_at - run.started_at).total_seconds()
        for run in session.scalars(
            select(CrawlRun).where(CrawlRun.id.in_(last_finished.group_by(CrawlRun.source_id)))
        )
        if run.finished_at is not None
    }
    sources = {}
    for source_id in sorted(set(runs) | set(responses)):
        row = totals.get(source_id)
        sources[source_id] = SourceFigures(
            runs=runs.get(source_id, {}),
            items=int(row.items) if row else 0,
            new=int(row.new) if row else 0,
            changed=int(row.changed) if row else 0,
            withdrawn=int(row.withdrawn) if row else 0,
            errors=int(row.errors) if row else 0,
            responses=responses.get(source_id, 0),
            last_duration_seconds=durations.get(source_id),
            last_success=last_success.get(source_id),
        )
    notifications = count_by_status(session)
    oldest = oldest_undelivered(session)
    age = (utcnow() - oldest).total_seconds() if oldest is not None else None
    return Figures(sources, notifications, age)


def stuck_crawls(
    session: Session, timeout_seconds: int, grace_seconds: int = 0, now: datetime | None = None
) -> list[str]:
    """Crawls still marked running ``grace_seconds`` after their timeout should have stopped them."""
    limit = (now or utcnow()) - timedelta(seconds=timeout_seconds + grace_seconds)
    return [
        f"the crawl of {run.source_id} (run {run.id}) has been running since "
        f"{run.started_at:%Y-%m-%d %H:%M} UTC, past its {timeout_seconds} s timeout"
        for run in session.scalars(
            select(CrawlRun).where(CrawlRun.status == "running", CrawlRun.started_at < limit)
        )
    ]
