"""Problems of a crawl run, in words: what failed, where, and (for a response) which one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.clock import utcnow
from storage.models import RunProblem


@dataclass(frozen=True)
class ProblemRecord:
    stage: str
    url: str | None
    cause: str
    response_id: int | None = None


def record_problems(session: Session, run_id: int, problems: Iterable[ProblemRecord]) -> None:
    now = utcnow()
    for problem in problems:
        session.add(
            RunProblem(
                run_id=run_id,
                stage=problem.stage,
                url=problem.url,
                cause=problem.cause[:2000],
                response_id=problem.response_id,
                created_at=now,
            )
        )
    session.flush()


def problems_of_run(session: Session, run_id: int, stage: str | None = None) -> list[RunProblem]:
    query = select(RunProblem).where(RunProblem.run_id == run_id).order_by(RunProblem.id)
    if stage:
        query = query.where(RunProblem.stage == stage)
    return list(session.scalars(query))


def summarise(problems: Iterable[RunProblem], limit: int = 3) -> str:
    """``"2 page problems: HTTP 503 at ...; timed out after 30 s at ..."``: for tables and alerts."""
    rows = list(problems)
    if not rows:
        return ""
    stages = sorted({p.stage for p in rows})
    head = f"{len(rows)} {'/'.join(stages)} problem{'s' if len(rows) != 1 else ''}"
    causes = list(dict.fromkeys(p.cause for p in rows))
    more = f" (+{len(causes) - limit} more)" if len(causes) > limit else ""
    return f"{head}: {'; '.join(causes[:limit])}{more}"
