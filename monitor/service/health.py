"""Source health: is a source still being read correctly? Admins hear once when it is not.

A run is bad when it failed, when its listing is far smaller than the source's recent full runs,
or when a field (reference, date, request, outcome) that most items used to have has mostly gone:
the signs of a redesigned site that would otherwise look like "nothing new". After
``alert_after_runs`` bad runs in a row the source is unhealthy and one alert is queued for admin
subscribers; the next good run makes it healthy again (and says so to the same people).

A run that failed for a reason not the site's (``CrawlRun.executor_failed``: no crawl process could
be started, no Scrapyd node took the crawl, its node was lost) says nothing about its source, whose
health it leaves as it was. Such runs are judged together instead: after ``alert_after_runs`` of
them in a row, whatever their sources, admins hear once that crawls cannot run, and once more when
a crawl reaches its site again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import HealthSettings
from storage.clock import utcnow
from storage.models import CrawlRun, Notification, SourceHealth, Subscriber
from storage.outbox import OutgoingMessage, enqueue
from storage.problems import problems_of_run

log = logging.getLogger(__name__)
WATCHED_FIELDS = ("reference", "published", "request", "outcome")


def _history(session: Session, run: CrawlRun, settings: HealthSettings) -> list[CrawlRun]:
    return list(
        session.scalars(
            select(CrawlRun)
            .where(
                CrawlRun.source_id == run.source_id,
                CrawlRun.id < run.id,
                CrawlRun.status == "succeeded",
                CrawlRun.mode == "full",
                CrawlRun.health_problem.is_(None),
            )
            .order_by(CrawlRun.id.desc())
            .limit(settings.history_runs)
        )
    )


def run_problem(session: Session, run: CrawlRun, settings: HealthSettings) -> str | None:
    """Why this run suggests the source is broken, or None."""
    if run.status != "succeeded":
        return run.error_summary or "the crawl failed"
    if run.errors:
        # Pages that answered 5xx, timed out or were refused: part of the log went unread.
        unread = [p for p in problems_of_run(session, run.id) if p.stage in ("listing", "page")]
        causes = "; ".join(dict.fromkeys(p.cause for p in unread[:3])) or "see the crawl log"
        return f"{run.errors} page{'s' if run.errors != 1 else ''} could not be read: {causes}"
    history = _history(session, run, settings)
    if run.mode == "full" and history:
        usual = median(r.listed for r in history)
        if usual > 0 and run.listed < usual * settings.min_listed_ratio:
            return f"listed {run.listed} responses where it usually lists about {usual:g}"
    if run.items and history:
        for name in WATCHED_FIELDS:
            before = [r.fields_filled.get(name, 0) / r.items for r in history if r.items]
            now = run.fields_filled.get(name, 0) / run.items
            if before and median(before) >= 0.8 and now < median(before) * settings.min_field_ratio:
                return f"'{name}' found in {now:.0%} of responses, down from {median(before):.0%}"
    return None


def _queue_for_admins(session: Session, key: str, title: str, body: str, run: CrawlRun) -> int:
    """Queue one message for each active admin (once per ``key``); how many were queued."""
    admins = session.scalars(
        select(Subscriber).where(Subscriber.admin.is_(True), Subscriber.active.is_(True))
    )
    queued = 0
    for admin in admins:
        message = OutgoingMessage(admin.id, key, "health", "health", title, body, run_id=run.id)
        queued += enqueue(session, message)
    return queued


def _alert_admins(session: Session, health: SourceHealth, run: CrawlRun, recovered: bool) -> int:
    if recovered:
        title = f"[foiwatch] source {run.source_id} is working again"
        body = f"Source {run.source_id} was read correctly again in crawl run {run.id}."
        key = f"health-ok:{run.source_id}:{health.bad_since_run_id}"
    else:
        title = f"[foiwatch] source {run.source_id} looks broken"
        body = (
            f"The last {health.consecutive_bad} crawls of source {run.source_id} went wrong.\n"
            f"Latest problem: {health.last_problem}\n"
            "Check the site and its entry in sources.yaml; `foiwatch sources check "
            f"{run.source_id}` shows what foiwatch reads there now."
        )
        key = f"health:{run.source_id}:{health.bad_since_run_id}"
    return _queue_for_admins(session, key, title, body, run)


@dataclass(frozen=True)
class _Spell:
    """Runs in a row that failed for the executor: how many, the first one's id, and the sources
    of the latest of them (newest first, at most ten)."""

    runs: int
    first_id: int
    sources: list[str]


def _executor_spell(session: Session, before: int | None = None) -> _Spell | None:
    """The runs that failed for the executor since the last finished run that did not (counting
    only runs before run ``before``, if given); None when there are none. Three small queries,
    however long the spell."""
    reached = select(func.max(CrawlRun.id)).where(
        CrawlRun.status.in_(("succeeded", "failed")), CrawlRun.executor_failed.is_(False)
    )
    if before is not None:
        reached = reached.where(CrawlRun.id < before)
    failed = [CrawlRun.executor_failed.is_(True), CrawlRun.id > (session.scalar(reached) or 0)]
    if before is not None:
        failed.append(CrawlRun.id < before)
    runs, first_id = session.execute(select(func.count(), func.min(CrawlRun.id)).where(*failed)).one()
    if not runs:
        return None
    latest = select(CrawlRun.source_id).where(*failed).order_by(CrawlRun.id.desc()).limit(10)
    return _Spell(int(runs), int(first_id), list(session.scalars(latest)))


def _alert_admins_of_executor(session: Session, spell: _Spell, run: CrawlRun, recovered: bool) -> int:
    if recovered:
        title = "[foiwatch] crawls run again"
        body = f"Crawl run {run.id} (source {run.source_id}) ran to its site's verdict again."
        key = f"executor-ok:{spell.first_id}"
    else:
        sources = ", ".join(dict.fromkeys(spell.sources))
        title = "[foiwatch] crawls cannot run"
        body = (
            f"The last {spell.runs} crawls failed for the crawl executor, not their sites "
            f"(latest sources: {sources}).\n"
            f"Latest cause: {run.error_summary or 'not recorded'}\n"
            "This says nothing about the sources, whose health is left as it was. Check the crawl "
            "executor (executor in settings.yaml; `foiwatch scrapyd jobs` for Scrapyd nodes)."
        )
        key = f"executor:{spell.first_id}"
    return _queue_for_admins(session, key, title, body, run)


def _judge_executor(session: Session, run: CrawlRun, settings: HealthSettings) -> None:
    """Alert admins once a spell of runs failed by the executor is ``alert_after_runs`` long, and
    once more when a run after an alerted spell reaches its site."""
    if run.executor_failed:
        spell = _executor_spell(session)
        if spell is not None and spell.runs >= settings.alert_after_runs:
            queued = _alert_admins_of_executor(session, spell, run, recovered=False)
            if queued:
                log.error("crawls cannot run (%s); %d admin alert(s) queued", run.error_summary, queued)
        return
    spell = _executor_spell(session, before=run.id)
    if spell is None:
        return
    alerted = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.event_key == f"executor:{spell.first_id}")
    )
    if alerted:
        _alert_admins_of_executor(session, spell, run, recovered=True)


def update_health(session: Session, run: CrawlRun, settings: HealthSettings) -> SourceHealth:
    """Judge ``run``, update the source's health, and queue an alert when it turns (un)healthy.

    A run the operator interrupted says nothing about the site and leaves the health as it was; so
    does one that failed for the executor (judged with the others like it: ``_judge_executor``).
    """
    health = session.get(SourceHealth, run.source_id)
    if health is None:
        health = SourceHealth(
            source_id=run.source_id, status="healthy", consecutive_bad=0, updated_at=utcnow()
        )
        session.add(health)
    if run.status == "interrupted":
        session.flush()
        return health
    _judge_executor(session, run, settings)
    if run.executor_failed:
        session.flush()
        return health
    problem = run_problem(session, run, settings)
    run.health_problem = problem
    health.updated_at = utcnow()
    if problem is None:
        if health.status == "unhealthy" and health.alerted_at is not None:
            _alert_admins(session, health, run, recovered=True)
        health.status, health.consecutive_bad, health.alerted_at = "healthy", 0, None
        return health
    if health.consecutive_bad == 0:
        health.bad_since_run_id = run.id
    health.consecutive_bad += 1
    health.last_problem = problem
    if health.consecutive_bad >= settings.alert_after_runs and health.status != "unhealthy":
        health.status, health.alerted_at = "unhealthy", utcnow()
        queued = _alert_admins(session, health, run, recovered=False)
        log.error("source %s is unhealthy (%s); %d admin alert(s) queued", run.source_id, problem, queued)
    session.flush()
    return health
