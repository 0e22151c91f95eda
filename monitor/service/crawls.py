"""One crawl of one source, end to end: lock, crawl, diff, classify, queue notifications.

Every crawl runs in a process of its own (Scrapy's reactor cannot be restarted in one process; see
the README): forked from a warm fork server beside the service, or a Scrapyd node's
(``monitor.service.executors``). The database is the only channel between the two.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from crawler.config import SourceConfig
from monitor.changes.detect import record_changes
from monitor.classify import TopicClassifier, build_classifiers
from monitor.config import ArchiveSettings, Config, ExecutorSettings
from monitor.service.executors import CrawlJob, RunFailure, executor_for, stopping
from monitor.service.health import update_health
from monitor.sources.checks import filled_percent, read_link_log, what_to_fix
from storage.clock import utcnow
from storage.db import Database
from storage.host_leases import HostBusy, host_leases
from storage.models import CrawlRun
from storage.problems import (
    ProblemRecord,
    problems_of_run,
    record_problems,
    run_cause,
    summarise,
)
from storage.responses import list_versions
from storage.runs import (
    SourceBusy,
    SourceRow,
    finish_run,
    last_run_with,
    record_node,
    start_run,
    sync_sources,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlSummary:
    source_id: str
    status: str
    run_id: int | None = None
    mode: str = ""
    pages: int = 0
    items: int = 0
    new: int = 0
    changed: int = 0
    withdrawn: int = 0
    errors: int = 0
    error: str | None = None
    health: str = "healthy"
    # why the run failed or was judged bad, in words (``storage.problems.run_cause``)
    cause: str | None = None
    seconds: float | None = None
    # the Scrapyd node the crawl ran on (None: beside the service)
    node: str | None = None

    @property
    def failed(self) -> bool:
        return self.status not in ("succeeded", "busy", "stopped")

    def in_words(self) -> str:
        """The end of a crawl in one line, for the log: result, counts or cause, and time taken."""
        took = f" in {self.seconds:.0f} s" if self.seconds is not None else ""
        where = f" on {self.node}" if self.node else ""
        if self.status == "succeeded":
            counts = f"{self.items} items, {self.new} new, {self.changed} changed, {self.withdrawn} withdrawn"
            problem = f"; {self.cause}" if self.cause else ""
            return f"crawl of {self.source_id} finished{where}: succeeded, {counts}{took}{problem}"
        if self.status in ("busy", "stopped"):
            return f"crawl of {self.source_id} not started: {self.error}"
        cause = (self.cause or "see its log").removeprefix(f"{self.status}: ")
        return f"crawl of {self.source_id} finished{where}: {self.status}: {cause}{took}"


def register_sources(database: Database, config: Config) -> None:
    rows = [SourceRow(s.id, s.platform, s.authority, s.url, s.enabled) for s in config.sources]
    with database.session() as session:
        sync_sources(session, rows)


def full_crawl_due(session: Session, config: Config, source_id: str, now: datetime) -> datetime | None:
    """When the source's crawls turn full again (None: its next crawl is a full one).

    A full crawl revalidates every response; one is due ``crawler.full_crawl_every_hours`` after the
    last successful one started (0: every crawl is full).
    """
    every = config.crawler.full_crawl_every_hours
    last_full = last_run_with(session, source_id, "succeeded", "full") if every > 0 else None
    if last_full is None or now - last_full.started_at >= timedelta(hours=every):
        return None
    return last_full.started_at + timedelta(hours=every)


def next_full_crawl(database: Database, config: Config, source_id: str) -> datetime | None:
    """``full_crawl_due`` now, in a session of its own."""
    with database.session() as session:
        return full_crawl_due(session, config, source_id, utcnow())


def choose_mode(database: Database, config: Config, source_id: str) -> str:
    """Full when the last full crawl is ``full_crawl_every_hours`` old or more, else incremental.

    An incremental crawl reads only what is new; edits to known responses are found by the full
    crawls, so an edit is reported within ``full_crawl_every_hours`` plus one schedule interval.
    """
    return "full" if next_full_crawl(database, config, source_id) is None else "incremental"


def process_undiffed_runs(
    database: Database, classifiers: Mapping[str, TopicClassifier], source_id: str
) -> None:
    """Diff finished runs that never were (the service stopped mid-way), oldest first."""
    with database.session() as session:
        run_ids = list(
            session.scalars(
                select(CrawlRun.id)
                .where(
                    CrawlRun.source_id == source_id, CrawlRun.diffed.is_(False), CrawlRun.status != "running"
                )
                .order_by(CrawlRun.id)
            )
        )
    for run_id in run_ids:
        _diff_run(database, run_id, classifiers)


def _diff_run(database: Database, run_id: int, classifiers: Mapping[str, TopicClassifier]) -> None:
    """Diff one finished run in its own transaction; a failure is recorded and retried next time."""
    try:
        with database.session() as session:
            record_changes(session, session.get_one(CrawlRun, run_id), classifiers)
    except Exception as exc:
        log.exception("the diff of run %s failed; it will be tried again at the next crawl", run_id)
        with contextlib.suppress(Exception), database.session() as session:
            cause = f"the diff failed and will be retried: {type(exc).__name__}: {exc}"[:500]
            record_problems(session, run_id, [ProblemRecord("diff", None, cause)])


def _record_node(database: Database, run_id: int, node: str) -> None:
    with database.session() as session:
        record_node(session, run_id, node)


def _close_run(database: Database, run_id: int, failure: RunFailure | None, stopped: bool) -> None:
    """Close the run in a transaction of its own, before any diff: a run is never left running.

    ``failure`` is the executor's word on how the crawl ended; a run the crawl closed itself keeps
    the crawl's verdict.
    """
    with database.session() as session:
        run = session.get_one(CrawlRun, run_id)
        if stopped:
            finish_run(session, run_id, "interrupted", "interrupted: foiwatch was stopped")
            run.complete = False
        elif run.status == "running":
            finish_run(
                session, run_id, "failed" if failure else "succeeded", failure.cause if failure else None
            )
            if failure:
                run.complete = False
                run.executor_failed = failure.executor


def crawl_source(
    database: Database,
    config: Config,
    source: SourceConfig,
    data_dir: Path,
    mode: str | None = None,
    classifiers: Mapping[str, TopicClassifier] | None = None,
) -> CrawlSummary:
    """Crawl one source now and record what changed; never raises for a failing site.

    The run is closed first, then diffed, then judged for health, each in its own transaction, so
    one odd response or a failing step never leaves the source locked as "running".
    """
    if stopping.is_set():
        return CrawlSummary(source.id, "stopped", error="foiwatch is stopping")
    classifiers = classifiers if classifiers is not None else build_classifiers(config.topics)
    chosen = mode or choose_mode(database, config, source.id)
    timeout = config.service.crawl_timeout_seconds
    try:
        # Sources on one host take turns (storage.host_leases): the lease is held for the crawl.
        with host_leases(
            database,
            source_hosts(source),
            source.id,
            ttl=timedelta(seconds=timeout + LEASE_MARGIN_SECONDS),
            wait=timedelta(seconds=timeout),
            stopping=stopping.is_set,
        ):
            return _crawl(database, config, source, data_dir, chosen, classifiers)
    except HostBusy as exc:
        busy = CrawlSummary(source.id, "busy", mode=chosen, error=str(exc))
        log.info(busy.in_words(), extra={"source": source.id, "status": "busy"})
        return busy


# A lease outlives its crawl's timeout by this much before another machine may take it over.
LEASE_MARGIN_SECONDS = 120


def source_hosts(source: SourceConfig) -> list[str]:
    """The hosts (with any port) a source's crawl fetches from: its address's, and any it allows."""
    hosts = [urlsplit(source.url).netloc.lower()]
    return hosts + [host.lower() for host in source.allowed_hosts]


def _crawl(
    database: Database,
    config: Config,
    source: SourceConfig,
    data_dir: Path,
    chosen: str,
    classifiers: Mapping[str, TopicClassifier],
) -> CrawlSummary:
    try:
        with database.session() as session:
            run_id = start_run(session, source.id, chosen).id
    except SourceBusy as exc:
        busy = CrawlSummary(source.id, "busy", mode=chosen, error=str(exc))
        log.info(busy.in_words(), extra={"source": source.id, "status": "busy"})
        return busy
    log.info("crawl of %s started (%s)", source.id, chosen, extra={"source": source.id, "run_id": run_id})
    # Earlier runs never diffed (a crash, or a run just closed as abandoned) go first, oldest first.
    process_undiffed_runs(database, classifiers, source.id)
    job = CrawlJob(source, config.crawler, data_dir, database.url, run_id, chosen, config.archive.enabled)
    try:
        failure = executor_for(config).run(
            job,
            config.service.crawl_timeout_seconds,
            data_dir / "logs" / f"{source.id}.log",
            lambda node: _record_node(database, run_id, node),
        )
    except BaseException:
        _close_run(database, run_id, None, stopped=True)
        fields = {"source": source.id, "run_id": run_id, "status": "interrupted"}
        log.info("crawl of %s finished: interrupted", source.id, extra=fields)
        raise
    stopped = stopping.is_set()
    _close_run(database, run_id, failure, stopped)
    if not stopped:
        # An interrupted run is diffed by the source's next crawl; a stop must be quick.
        _diff_run(database, run_id, classifiers)
    health = _judge_health(database, run_id, config)
    summary = _summary(database, run_id, health)
    fields = {"source": source.id, "run_id": run_id, "mode": chosen, "status": summary.status}
    if summary.node:
        fields["node"] = summary.node
    log.log(logging.ERROR if summary.failed else logging.INFO, summary.in_words(), extra=fields)
    return summary


def _judge_health(database: Database, run_id: int, config: Config) -> str:
    try:
        with database.session() as session:
            return update_health(session, session.get_one(CrawlRun, run_id), config.health).status
    except Exception:
        log.exception("health of run %s could not be judged", run_id)
        return "unknown"


def _summary(database: Database, run_id: int, health: str) -> CrawlSummary:
    with database.session() as session:
        run = session.get_one(CrawlRun, run_id)
        problems = summarise(problems_of_run(session, run_id))
        said = dict.fromkeys(p for p in (run.error_summary, run.health_problem, problems) if p)
        error = "; ".join(said) or None
        took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
        return CrawlSummary(
            source_id=run.source_id,
            status=run.status,
            run_id=run.id,
            mode=run.mode,
            pages=run.pages_fetched,
            items=run.items,
            new=run.new_count,
            changed=run.changed_count,
            withdrawn=run.withdrawn_count,
            errors=run.errors,
            error=error,
            health=health,
            cause=run_cause(session, run),
            seconds=took,
            node=run.node,
        )


@dataclass(frozen=True)
class CheckReport:
    """What one fetch of a source found, for an operator adding or repairing it. Nothing is kept.

    ``address`` is where the crawl actually started; ``links`` what it made of the listing's links
    (``seen``, ``kinds`` accepted, the first ``accepted`` and ``rejected`` with their reasons).
    """

    source_id: str
    status: str
    listed: int
    items: int
    invalid: int
    errors: int
    fields_filled: dict[str, int]
    samples: list[tuple[str | None, str]]
    problem: str | None
    address: str = ""
    links: dict[str, Any] = field(default_factory=dict)

    @property
    def filled_percent(self) -> int | None:
        return filled_percent(self.fields_filled, self.items)

    @property
    def what_to_fix(self) -> str:
        return what_to_fix(
            self.status,
            self.listed,
            self.items,
            self.invalid,
            self.errors,
            self.fields_filled,
            self.problem,
            self.links,
        )


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
            # Nothing of a check is kept, so nothing of it is archived.
            unarchived = ArchiveSettings(enabled=False)
            # A check's database is a file here: it crawls here too, whatever executor.kind says.
            checked = replace(
                config, crawler=quiet, sources=[one_page], archive=unarchived, executor=ExecutorSettings()
            )
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
                    summary.error or run.error_summary,
                    # The address the crawl used, once runs record it; the configured one until then.
                    address=getattr(run, "start_address", None) or source.url,
                    links=read_link_log(work / "links" / f"{source.id}.json"),
                )
        finally:
            database.dispose()
