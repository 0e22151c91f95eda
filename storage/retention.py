"""Old crawl run records deleted, so a service polling for years keeps a bounded table.

A run is kept, however old, while anything points at it: a response or version it first or last
saw (``first_run_id``, ``last_run_id``, ``last_listed_run_id``), a notification it queued, a health
record it started; and each source's latest successful run stays, so a source crawled rarely still
shows when it last succeeded. Running runs are never touched. A deleted run's problems go with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, select, union
from sqlalchemy.orm import Session

from storage.models import CrawlRun, Notification, Response, ResponseVersion, RunProblem, SourceHealth

# Rows deleted per statement: SQLite caps the parameters of one statement.
_BATCH = 500


def _referenced() -> Select[tuple[int]]:
    columns = (
        Response.first_run_id,
        Response.last_run_id,
        Response.last_listed_run_id,
        ResponseVersion.first_run_id,
        Notification.run_id,
        SourceHealth.bad_since_run_id,
    )
    # NULLs left out: "id NOT IN (..., NULL)" is never true, and would keep everything.
    selects = [select(column.label("run_id")).where(column.is_not(None)) for column in columns]
    return select(union(*selects).subquery().c.run_id)


def prunable_runs(session: Session, started_before: datetime) -> list[int]:
    """Ids of finished runs started before ``started_before`` that nothing points at and that are
    not their source's latest successful run."""
    latest_success = (
        select(func.max(CrawlRun.id)).where(CrawlRun.status == "succeeded").group_by(CrawlRun.source_id)
    )
    query = select(CrawlRun.id).where(
        CrawlRun.started_at < started_before,
        CrawlRun.status != "running",
        CrawlRun.id.not_in(_referenced()),
        CrawlRun.id.not_in(latest_success),
    )
    return list(session.scalars(query.order_by(CrawlRun.id)))


def prune_runs(session: Session, started_before: datetime) -> int:
    """Delete the runs ``prunable_runs`` names, with their problems; how many were deleted."""
    doomed = prunable_runs(session, started_before)
    for start in range(0, len(doomed), _BATCH):
        batch = doomed[start : start + _BATCH]
        session.execute(delete(RunProblem).where(RunProblem.run_id.in_(batch)))
        session.execute(delete(CrawlRun).where(CrawlRun.id.in_(batch)))
    return len(doomed)
