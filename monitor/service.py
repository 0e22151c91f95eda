"""``foiwatch run``: every enabled source on its schedule, and the outbox drained, until SIGTERM.

APScheduler 3 keeps its jobs in the same database (a persistent job store), so a restart keeps
each source's next run time. Jobs have explicit ids and are re-registered with
``replace_existing`` on start, so the configuration is always the truth. ``max_instances=1`` and
the database lock in ``start_run`` make sure one source is never crawled twice at once.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.config import parse_schedule
from monitor.app import App, open_app
from monitor.crawls import crawl_source, stop_all_crawls
from monitor.notify import deliver_pending
from storage.clock import utcnow

log = logging.getLogger(__name__)
DELIVERY_JOB_ID = "deliver-notifications"


def run_source_job(config_dir: str | None, database_url: str, data_dir: str, source_id: str) -> None:
    """The scheduled job: a module-level function so the persistent job store can name it."""
    app = open_app(Path(config_dir) if config_dir else None, database_url, Path(data_dir))
    try:
        source = app.config.source(source_id)
        summary = crawl_source(app.database, app.config, source, app.data_dir)
        log.info("scheduled crawl of %s: %s", source_id, summary)
        deliver_pending(app.database, app.config.notifications)
    finally:
        app.database.dispose()


def deliver_job(config_dir: str | None, database_url: str, data_dir: str) -> None:
    app = open_app(Path(config_dir) if config_dir else None, database_url, Path(data_dir))
    try:
        deliver_pending(app.database, app.config.notifications)
    finally:
        app.database.dispose()


def build_scheduler(app: App, config_dir: Path | None) -> BackgroundScheduler:
    """A scheduler with one job per enabled source plus the delivery job; stale jobs removed."""
    service = app.config.service
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=app.database.engine)},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": service.misfire_grace_seconds,
        },
        timezone="UTC",
    )
    scheduler.start(paused=True)
    common = [str(config_dir) if config_dir else None, app.database.url, str(app.data_dir)]
    wanted = {DELIVERY_JOB_ID}
    for source in app.config.sources:
        if not source.enabled:
            continue
        job_id = f"crawl:{source.id}"
        wanted.add(job_id)
        trigger: dict[str, Any] = parse_schedule(source.schedule or service.default_schedule)
        existing = scheduler.get_job(job_id)
        # Keep a known job's next run across restarts; a new source's first crawl starts soon.
        first = existing.next_run_time if existing else utcnow() + timedelta(seconds=random.uniform(1, 30))
        scheduler.add_job(
            run_source_job,
            id=job_id,
            name=f"crawl {source.id}",
            args=[*common, source.id],
            replace_existing=True,
            jitter=service.jitter_seconds or None,
            next_run_time=first,
            **trigger,
        )
    scheduler.add_job(
        deliver_job,
        id=DELIVERY_JOB_ID,
        name="deliver notifications",
        args=common,
        trigger="interval",
        seconds=service.delivery_interval_seconds,
        replace_existing=True,
    )
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            log.info("removing job %s: its source is no longer enabled", job.id)
            job.remove()
    return scheduler


def serve(config_dir: Path | None, database_url: str | None, data_dir: Path | None) -> int:
    """Run until SIGTERM or SIGINT; a crawl in progress is stopped cleanly before exit."""
    app = open_app(config_dir, database_url, data_dir)
    if app.config.crawler.contact.endswith("@example.org"):
        log.warning(
            "crawler.contact in settings.yaml is a placeholder: set a real address so sites can reach you"
        )
    stop = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("received %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    scheduler = build_scheduler(app, config_dir)
    scheduler.resume()
    for job in scheduler.get_jobs():
        log.info("scheduled %s: next run %s", job.name, job.next_run_time)
    stop.wait()
    scheduler.pause()
    stop_all_crawls()
    scheduler.shutdown(wait=True)
    app.database.dispose()
    log.info("stopped")
    return 0
