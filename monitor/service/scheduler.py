"""``foiwatch run``: every enabled source on its schedule, and the outbox drained, until stopped.

The application (configuration, database engine, classifiers) is opened once per service; the
configuration is read again only on SIGHUP, validated first, the running one kept if the new one
is invalid. APScheduler 3 keeps its jobs in the same database, so a restart keeps each source's
next run time; jobs carry only a source id (no database URL is pickled into the job store).
``max_instances=1`` and the database lock in ``start_run`` make sure one source is never crawled
twice at once, and a service lock makes sure one database has one service.

On SIGTERM or SIGINT no new crawl starts, running crawls are stopped (their subprocesses get
SIGTERM, then SIGKILL after a few seconds), delivery stops between messages, and the process exits
within ``STOP_DEADLINE_SECONDS``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.config import parse_schedule
from crawler.yamlconf import ConfigError
from monitor.app import App, open_app, sync_config
from monitor.classify import build_classifiers
from monitor.config import Config, load_config
from monitor.logs import apply_settings
from monitor.notify.deliver import deliver_pending
from monitor.service.crawls import crawl_source
from monitor.service.executors import allow_crawls, stop_all_crawls
from monitor.web.context import WebContext
from monitor.web.server import AddressInUse, BackgroundServer
from storage.archive import prune_archive
from storage.clock import utcnow
from storage.retention import prune_runs
from storage.service_lock import ServiceRunning, acquire, heartbeat, release

log = logging.getLogger(__name__)
DELIVERY_JOB_ID = "deliver-notifications"
PRUNE_JOB_ID = "prune-runs"
CRAWL_EXECUTOR = "crawls"
STOP_DEADLINE_SECONDS = 6.0
HEARTBEAT_SECONDS = 30.0
# The evidence archive's retention is applied after a crawl at most this often.
ARCHIVE_PRUNE_EVERY = timedelta(days=1)

# The running service, for the job functions the persistent job store names by import path.
_service: Service | None = None


def run_source_job(source_id: str) -> None:
    """The scheduled crawl of one source (module level, so the job store can name it)."""
    if _service is not None:
        _service.crawl(source_id)


def deliver_job() -> None:
    if _service is not None:
        _service.deliver()


def prune_job() -> None:
    if _service is not None:
        _service.prune()


class Service:
    """What the scheduled jobs share: the open application and the stop and reload signals."""

    def __init__(self, app: App, config_dir: Path | None, stopping: threading.Event | None = None) -> None:
        global _service
        self.app, self.config_dir = app, config_dir
        self.classifiers = build_classifiers(app.config.topics)
        self.stopping = stopping or threading.Event()
        self._active = 0
        self._idle = threading.Condition()
        self.scheduler: BackgroundScheduler | None = None
        self._archive_pruned_at: datetime | None = None
        self._prune_lock = threading.Lock()
        allow_crawls()
        _service = self

    @contextlib.contextmanager
    def _job(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def idle(self) -> bool:
        with self._idle:
            return self._active == 0

    def crawl(self, source_id: str) -> None:
        if self.stopping.is_set():
            return
        with self._job():
            config = self.app.config
            try:
                source = config.source(source_id)
            except ConfigError:
                log.warning("scheduled crawl of %s skipped: no longer configured", source_id)
                return
            # crawl_source logs one line as the crawl starts and one as it ends
            crawl_source(self.app.database, config, source, self.app.data_dir, classifiers=self.classifiers)
            self.deliver()
            self.prune_archive()

    def prune_archive(self) -> None:
        """Apply the evidence archive's retention, at most once every ``ARCHIVE_PRUNE_EVERY``."""
        with self._prune_lock:
            now = utcnow()
            if self.stopping.is_set() or (
                self._archive_pruned_at is not None and now - self._archive_pruned_at < ARCHIVE_PRUNE_EVERY
            ):
                return
            self._archive_pruned_at = now
        try:
            retention = self.app.config.archive.retention_days
            report = prune_archive(self.app.database, self.app.data_dir, retention)
        except Exception:
            log.exception("the evidence archive could not be pruned; it will be tried again tomorrow")
            return
        if report.copies or report.blobs:
            log.info(
                "evidence archive pruned: %d copies older than %d days forgotten, %d files removed",
                report.copies,
                retention,
                report.blobs,
            )

    def deliver(self) -> None:
        if self.stopping.is_set():
            return
        with self._job():
            deliver_pending(
                self.app.database, self.app.config.notifications, should_stop=self.stopping.is_set
            )

    def prune(self) -> int:
        """Delete crawl run records older than ``service.keep_runs_days`` (see storage.retention)."""
        days = self.app.config.service.keep_runs_days
        if self.stopping.is_set():
            return 0
        pruned = 0
        with self._job():
            if days:
                with self.app.database.session() as session:
                    pruned = prune_runs(session, utcnow() - timedelta(days=days))
            try:  # the daily chance to give the query planner fresh statistics
                self.app.database.refresh_statistics()
            except Exception:
                log.exception("table statistics could not be refreshed; tried again tomorrow")
        if pruned:
            log.info("deleted %d crawl run records older than %d days", pruned, days)
        return pruned

    def reload(self) -> bool:
        """Read the configuration again; keep the running one if the new one is invalid."""
        try:
            config = load_config(self.config_dir)
        except ConfigError as exc:
            log.error("configuration not reloaded, the running one is kept: %s", exc)
            return False
        sync_config(self.app.database, config)
        self.app.config = config
        self.classifiers = build_classifiers(config.topics)
        if self.scheduler is not None:
            schedule_jobs(self.scheduler, config)
        log.info(
            "configuration reloaded: %d sources, %d subscribers", len(config.sources), len(config.subscribers)
        )
        return True

    def stop(self) -> bool:
        """Start no more work, stop running crawls, wait for the jobs; False if they outlast the deadline."""
        self.stopping.set()
        stop_all_crawls()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout=STOP_DEADLINE_SECONDS)


def build_scheduler(service: Service) -> BackgroundScheduler:
    """A paused scheduler with one job per enabled source plus the delivery job."""
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=service.app.database.engine)},
        # Crawls have a pool of their own, so delivery and pruning never wait behind long crawls.
        executors={
            "default": ThreadPoolExecutor(max_workers=2),
            CRAWL_EXECUTOR: ThreadPoolExecutor(max_workers=service.app.config.service.max_concurrent_crawls),
        },
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": service.app.config.service.misfire_grace_seconds,
        },
        timezone="UTC",
    )
    scheduler.start(paused=True)
    schedule_jobs(scheduler, service.app.config)
    service.scheduler = scheduler
    return scheduler


def schedule_jobs(scheduler: BackgroundScheduler, config: Config) -> None:
    """Make the scheduler's jobs match the configuration; a known job keeps its next run time."""
    settings = config.service
    wanted = {DELIVERY_JOB_ID, PRUNE_JOB_ID}
    for source in config.sources:
        if not source.enabled:
            continue
        job_id = f"crawl:{source.id}"
        wanted.add(job_id)
        trigger: dict[str, Any] = parse_schedule(source.schedule or settings.default_schedule)
        existing = scheduler.get_job(job_id)
        # Keep a known job's next run across restarts; a new source's first crawl starts soon.
        soon = timedelta(seconds=random.uniform(0, settings.first_crawl_within_seconds))
        first = existing.next_run_time if existing else utcnow() + soon
        scheduler.add_job(
            run_source_job,
            executor=CRAWL_EXECUTOR,
            id=job_id,
            name=f"crawl {source.id}",
            args=[source.id],
            replace_existing=True,
            jitter=settings.jitter_seconds or None,
            next_run_time=first,
            **trigger,
        )
    scheduler.add_job(
        deliver_job,
        id=DELIVERY_JOB_ID,
        name="deliver notifications",
        trigger="interval",
        seconds=settings.delivery_interval_seconds,
        replace_existing=True,
    )
    existing = scheduler.get_job(PRUNE_JOB_ID)
    scheduler.add_job(
        prune_job,
        id=PRUNE_JOB_ID,
        name="delete old crawl run records",
        trigger="interval",
        days=1,
        replace_existing=True,
        # daily, counted from the service's first start; a restart keeps the time
        next_run_time=existing.next_run_time if existing else utcnow() + timedelta(minutes=10),
    )
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            log.info("removing job %s: its source is no longer enabled", job.id)
            job.remove()


def _keep_alive(app: App, pid: int, host: str, stopping: threading.Event) -> None:
    while not stopping.wait(HEARTBEAT_SECONDS):
        try:
            with app.database.session() as session:
                if not heartbeat(session, pid, host):
                    log.error("the service lock was taken by another process; stopping")
                    stopping.set()
        except Exception:
            log.exception("service heartbeat failed; will try again")


def _start_web(service: Service, keeper: threading.Thread) -> BackgroundServer | None:
    """The web pages beside the scheduler, unless ``service.web`` is false; /healthz asks ``liveness``."""
    settings = service.app.config.service
    if not settings.web:
        return None

    def liveness() -> list[str]:
        problems = []
        if service.stopping.is_set():
            problems.append("the service is stopping")
        elif service.scheduler is None or not service.scheduler.running:
            problems.append("the scheduler is not running")
        if not keeper.is_alive() and not service.stopping.is_set():
            problems.append("the service lock's heartbeat has stopped")
        return problems

    web = BackgroundServer(WebContext(service.app, liveness=liveness), settings.host, settings.port)
    web.start()
    return web


def serve(config_dir: Path | None, database_url: str | None, data_dir: Path | None) -> int:
    """Run until SIGTERM or SIGINT (SIGHUP reloads the configuration); the exit status."""
    stop_requested, reload_requested = threading.Event(), threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop_requested.set()

    # First of all, so a stop during start-up is a clean stop too.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGHUP, lambda _signum, _frame: reload_requested.set())
    app = open_app(config_dir, database_url, data_dir)
    apply_settings(app.config.logging.format)
    pid, host = os.getpid(), socket.gethostname()
    try:
        with app.database.session() as session:
            acquire(session, pid, host)
    except ServiceRunning as exc:
        print(f"foiwatch run: {exc}", file=sys.stderr)
        app.database.dispose()
        return 2
    if app.config.crawler.contact.endswith("@example.org"):
        log.warning(
            "crawler.contact in settings.yaml is a placeholder: set a real address so sites can reach you"
        )
    service = Service(app, config_dir, stop_requested)
    scheduler = build_scheduler(service)
    keeper = threading.Thread(target=_keep_alive, args=(app, pid, host, service.stopping), daemon=True)
    try:
        web = _start_web(service, keeper)
    except AddressInUse as exc:
        print(f"foiwatch run: {exc}, or set service.web: false", file=sys.stderr)
        with contextlib.suppress(Exception), app.database.session() as session:
            release(session, pid, host)
        app.database.dispose()
        return 2
    scheduler.resume()
    keeper.start()
    for job in scheduler.get_jobs():
        log.info("scheduled %s: next run %s", job.name, job.next_run_time)
    while not service.stopping.wait(1.0):
        if reload_requested.is_set():
            reload_requested.clear()
            service.reload()
    finished = service.stop()
    if web is not None:
        web.stop()
    with contextlib.suppress(Exception), app.database.session() as session:
        release(session, pid, host)
    if not finished:
        # A send or a crawl's bookkeeping still running: everything committed stays, a message
        # caught mid-send is sent once more by the next start (the README says so).
        log.warning("jobs still running after %gs; exiting anyway", STOP_DEADLINE_SECONDS)
        logging.shutdown()
        os._exit(0)
    app.database.dispose()
    log.info("stopped")
    return 0
