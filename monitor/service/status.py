"""What the service is doing and how each source stands: the one place such figures come from.

``foiwatch status``, the web app's sources page, ``/healthz`` and ``/metrics`` all read
``service_status``; it needs only the configuration and the database, not a running scheduler: the
next run of a source is worked out from its schedule and its last run, as the scheduler would.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.orm import Session

from crawler.config import SourceConfig, parse_schedule
from monitor.app import App
from monitor.config import Config, interval_seconds
from monitor.service.crawls import full_crawl_due
from storage.clock import utcnow
from storage.models import CrawlRun, SourceHealth
from storage.outbox import DEAD, FAILED, HELD, PENDING, SENDING, count_by_status, oldest_undelivered
from storage.problems import problems_of_run, run_cause, summarise
from storage.processes import owner_gone
from storage.runs import crawling_now, last_finished_run, last_run_with, runs_by_status, stored_sources
from storage.service_lock import HEARTBEAT_TIMEOUT, holder


@dataclass(frozen=True)
class RunStatus:
    """One crawl run as people read it: ``cause`` is why it failed or was judged bad, in words;
    ``problems`` the problems it met on the way (pages or links it could not use), summarised;
    ``start_address`` where it read the log (the source's URL, or the log found from it); ``node``
    the Scrapyd node it ran on (None: beside the service)."""

    run_id: int
    mode: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    items: int
    new: int
    changed: int
    withdrawn: int
    errors: int
    cause: str | None
    problems: str | None
    start_address: str | None
    node: str | None = None


@dataclass(frozen=True)
class SourceStatus:
    """A configured source: its schedule, how and when it runs next, how it last ran, its health.

    ``next_run`` is None for a disabled source, and for an interval schedule that never ran (the
    service crawls such a source soon after it starts); it is in the past when a run is overdue
    (the service is not running, or is busy). ``health`` is healthy or unhealthy (after
    ``health.alert_after_runs`` bad runs in a row); ``bad_runs`` counts the bad runs in a row so far.
    """

    id: str
    authority: str
    platform: str
    url: str
    enabled: bool
    schedule: str
    next_mode: str
    next_full_crawl: datetime | None
    next_run: datetime | None
    last_run: RunStatus | None
    last_success_at: datetime | None
    health: str
    health_problem: str | None
    bad_runs: int = 0
    runs: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CrawlNow:
    """A crawl in progress, by a process that is alive; ``stuck`` once it has run longer than
    ``service.crawl_timeout_seconds`` (the service stops a crawl then, so it should not be).
    ``owner`` is the process waiting for it; ``node`` the Scrapyd node it runs on (None: beside
    the service, or not placed yet)."""

    source_id: str
    run_id: int
    mode: str
    started_at: datetime
    running_seconds: float
    owner: str
    stuck: bool = False
    node: str | None = None


@dataclass(frozen=True)
class OutboxStatus:
    """Notifications by state; ``oldest_waiting_at`` is when the oldest message not yet delivered
    (pending, sending or failed and to be retried) was queued. ``by_status`` counts every state
    (sent and digested too)."""

    pending: int
    sending: int
    failed: int
    dead: int
    held: int
    oldest_waiting_at: datetime | None
    oldest_waiting_seconds: float | None
    by_status: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceProcess:
    """The ``foiwatch run`` holding this database, if any, and whether it still looks alive."""

    pid: int
    host: str
    started_at: datetime
    heartbeat_at: datetime
    alive: bool


@dataclass(frozen=True)
class ServiceStatus:
    """Everything ``foiwatch status`` shows; ``as_dict()`` is its JSON form (times as ISO 8601)."""

    at: datetime
    database: str
    data_dir: str
    service: ServiceProcess | None
    sources: list[SourceStatus]
    crawling: list[CrawlNow]
    notifications: OutboxStatus

    def as_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def next_run_time(schedule: str, last_started: datetime | None, now: datetime) -> datetime | None:
    """When a schedule next fires after a run that started at ``last_started``, as the service's
    scheduler would (jitter aside). An interval schedule counts from the last run (None if there
    was none: the service starts it soon after it starts); a cron schedule fires at its own times.
    """
    seconds = interval_seconds(schedule)
    if seconds is not None:
        return last_started + timedelta(seconds=seconds) if last_started else None
    fields = {k: v for k, v in parse_schedule(schedule).items() if k != "trigger"}
    trigger = CronTrigger(timezone="UTC", **fields)
    after = last_started + timedelta(seconds=1) if last_started else now
    fire: datetime | None = trigger.get_next_fire_time(None, after)
    return fire


def _run_status(session: Session, run: CrawlRun) -> RunStatus:
    took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return RunStatus(
        run_id=run.id,
        mode=run.mode,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_seconds=took,
        items=run.items,
        new=run.new_count,
        changed=run.changed_count,
        withdrawn=run.withdrawn_count,
        errors=run.errors,
        cause=run_cause(session, run),
        problems=summarise(problems_of_run(session, run.id)) or None,
        start_address=run.start_address,
        node=run.node,
    )


def source_status(
    session: Session, config: Config, source: SourceConfig, runs: dict[str, int], now: datetime
) -> SourceStatus:
    """How one configured source stands (see ``SourceStatus``)."""
    schedule = source.schedule or config.service.default_schedule
    last = last_finished_run(session, source.id)
    success = last_run_with(session, source.id, "succeeded")
    next_full = full_crawl_due(session, config, source.id, now)
    health = session.get(SourceHealth, source.id)
    return SourceStatus(
        id=source.id,
        authority=source.authority,
        platform=source.platform,
        url=source.url,
        enabled=source.enabled,
        schedule=schedule,
        next_mode="incremental" if next_full else "full",
        next_full_crawl=next_full,
        next_run=next_run_time(schedule, last.started_at if last else None, now) if source.enabled else None,
        last_run=_run_status(session, last) if last else None,
        last_success_at=success.started_at if success else None,
        health=health.status if health else "healthy",
        health_problem=health.last_problem if health and health.status != "healthy" else None,
        bad_runs=health.consecutive_bad if health else 0,
        runs=runs,
    )


def _outbox(session: Session, now: datetime) -> OutboxStatus:
    counts = count_by_status(session)
    oldest = oldest_undelivered(session)
    return OutboxStatus(
        pending=counts.get(PENDING, 0),
        sending=counts.get(SENDING, 0),
        failed=counts.get(FAILED, 0),
        dead=counts.get(DEAD, 0),
        held=counts.get(HELD, 0),
        oldest_waiting_at=oldest,
        oldest_waiting_seconds=(now - oldest).total_seconds() if oldest else None,
        by_status=counts,
    )


def _service_process(session: Session, now: datetime) -> ServiceProcess | None:
    lock = holder(session)
    if lock is None:
        return None
    gone = owner_gone(f"{lock.pid}@{lock.host}")
    alive = not gone if gone is not None else now - lock.heartbeat_at <= HEARTBEAT_TIMEOUT
    return ServiceProcess(lock.pid, lock.host, lock.started_at, lock.heartbeat_at, alive)


def _crawl_now(run: CrawlRun, now: datetime, timeout_seconds: float) -> CrawlNow:
    running = (now - run.started_at).total_seconds()
    owner = f"{run.pid}@{run.host}" if run.pid else "unknown"
    return CrawlNow(
        run.source_id, run.id, run.mode, run.started_at, running, owner, running > timeout_seconds, run.node
    )


def _history_only(
    session: Session, config: Config, runs: dict[str, dict[str, int]], now: datetime
) -> list[SourceStatus]:
    """Sources this database has crawled that the configuration no longer names (or a folder's
    configuration never did, as with the demo's): shown with their history, never scheduled."""
    configured = {source.id for source in config.sources}
    found = []
    for row in stored_sources(session):
        if row.id in configured or row.id not in runs:
            continue
        source = SourceConfig.model_construct(
            id=row.id, platform=row.platform, authority=row.authority, url=row.url, enabled=False
        )
        status = source_status(session, config, source, runs[row.id], now)
        found.append(replace(status, schedule="not in the configuration", next_run=None))
    return found


def service_status(app: App) -> ServiceStatus:
    """How every configured source stands, what is crawling now, and the outbox, read from the
    database (no running scheduler needed)."""
    now = utcnow()
    with app.database.session() as session:
        runs = runs_by_status(session)
        sources = [
            source_status(session, app.config, source, runs.get(source.id, {}), now)
            for source in app.config.sources
        ]
        sources += _history_only(session, app.config, runs, now)
        timeout = app.config.service.crawl_timeout_seconds
        crawling = [_crawl_now(run, now, timeout) for run in crawling_now(session)]
        return ServiceStatus(
            at=now,
            database=app.database.location,
            data_dir=str(app.data_dir),
            service=_service_process(session, now),
            sources=sources,
            crawling=crawling,
            notifications=_outbox(session, now),
        )
