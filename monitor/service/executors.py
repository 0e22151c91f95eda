"""Where a crawl runs: a subprocess beside the service (``local``) or a Scrapyd node (``scrapyd``).

An executor takes one job (a crawl run already started in the database) and returns when the crawl
has ended, with why it did not end normally (a ``RunFailure``), or None. The crawl itself records
what it found and its verdict into the run; ``monitor.service.crawls`` closes what it left open.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from crawler.config import CrawlerSettings, SourceConfig
from crawler.run import code_fingerprint
from monitor.config import Config
from monitor.service.launch import CrawlProcess
from storage.db import without_password

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlJob:
    """One crawl of one source into an open run."""

    source: SourceConfig
    crawler: CrawlerSettings
    data_dir: Path
    database_url: str
    run_id: int
    mode: str
    archive: bool

    def for_subprocess(self) -> dict[str, Any]:
        """What a local crawl process is given (``crawler.run.run_job``; the database URL included)."""
        return {
            "source_id": self.source.id,
            "source": self.source.model_dump(),
            "crawler": self.crawler.model_dump(),
            "data_dir": str(self.data_dir),
            "database_url": self.database_url,
            "run_id": self.run_id,
            "mode": self.mode,
            "archive": self.archive,
        }

    def for_node(self, check_seconds: float) -> dict[str, Any]:
        """What a Scrapyd node is given (``crawler.spiders.job``): no secret, since Scrapyd shows it.

        The node reads the database URL from its own environment; ``database`` names it with the
        password hidden, so a node set up for another database refuses the job, as one running
        other code than this does (``code``: ``crawler.run.code_fingerprint``). The crawl looks
        whether its run is still open every ``check_seconds`` (``crawler.extensions.ClosedRunWatch``).
        """
        return {
            "code": code_fingerprint(),
            "check_seconds": check_seconds,
            "source": self.source.model_dump(),
            "crawler": self.crawler.model_dump(),
            "run_id": self.run_id,
            "mode": self.mode,
            "archive": self.archive,
            "database": without_password(self.database_url),
        }


@dataclass(frozen=True)
class RunFailure:
    """Why a run failed, should the crawl have left it open, in words (``cause``).

    ``executor`` is set when the failure is not the site's: no crawl process could be started, no
    Scrapyd node took the crawl, or its node was lost during it. Such a run says nothing about the
    source, whose health is left as it was (``monitor.service.health``); admins hear about the
    executor instead.
    """

    cause: str
    executor: bool = False


class Executor(Protocol):
    def run(
        self, job: CrawlJob, timeout: float, log_file: Path, placed: Callable[[str], None]
    ) -> RunFailure | None:
        """Run the crawl to its end (or the timeout, or a stop). Returns why the run failed, should
        the crawl have left it open (None: it ended normally); ``placed`` is told the node it runs
        on, if it runs on one."""
        ...


def executor_for(config: Config) -> Executor:
    """The executor ``executor.kind`` in settings.yaml names."""
    if config.executor.kind == "scrapyd":
        from monitor.service.scrapyd import ScrapydExecutor

        return ScrapydExecutor(config.executor, stopping)
    return LocalExecutor()


# -- stopping ---------------------------------------------------------------------------------
# Seconds a crawl gets to close its spider after it is asked to stop before it is killed: a hung
# download must not hold up a stop (a closing spider stores its waiting batch; a killed one loses it,
# and its source's next crawl reads those responses again: crawler.pipelines).
STOP_GRACE_SECONDS = 3.0
stopping = threading.Event()
_running: set[CrawlProcess] = set()
_running_lock = threading.Lock()


def stop_all_crawls() -> None:
    """No crawl starts from now on; running ones are asked to stop (and killed if they linger).

    Crawls on Scrapyd nodes are cancelled by the thread waiting for each (``ScrapydExecutor``).
    """
    stopping.set()
    with _running_lock:
        processes = list(_running)
    for process in processes:
        process.signal(signal.SIGTERM)


def allow_crawls() -> None:
    """Undo ``stop_all_crawls`` (a new service in the same process, as in tests)."""
    stopping.clear()


class LocalExecutor:
    """Each crawl in a process of its own, forked from a warm fork server (``monitor.service.launch``;
    see the README: Scrapy's reactor cannot be restarted in one process)."""

    def run(
        self, job: CrawlJob, timeout: float, log_file: Path, placed: Callable[[str], None]
    ) -> RunFailure | None:
        try:
            code = _run_subprocess(job.for_subprocess(), timeout, log_file)
        except CrawlNotStarted as exc:
            log.error("crawl of %s: %s", job.source.id, exc)
            return RunFailure(str(exc), executor=True)
        # A crawl that died (a crash, memory, a hung page killed at the timeout) may be the site's doing.
        return RunFailure(f"crawler process exited with status {code}") if code != 0 else None


class CrawlNotStarted(Exception):
    """No crawl process could be started (its log not writable, the fork server unreachable)."""


def _terminate(process: CrawlProcess) -> int:
    process.signal(signal.SIGTERM)
    code = process.wait(timeout=STOP_GRACE_SECONDS)
    if code is None:
        process.signal(signal.SIGKILL)
        code = process.wait()
    return code if code is not None else -int(signal.SIGKILL)


def _run_subprocess(job: dict[str, object], timeout: float, log_file: Path) -> int:
    """Run the crawl in a process of its own (``monitor.service.launch``); its exit status.

    Raises ``CrawlNotStarted`` when there is no process to wait for.
    """
    process = CrawlProcess(job, log_file)
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        process.start()
    except (OSError, RuntimeError, EOFError) as exc:
        raise CrawlNotStarted(f"the crawl process could not be started: {type(exc).__name__}: {exc}") from exc
    with _running_lock:
        _running.add(process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            code = process.wait(timeout=0.5)
            if code is not None:
                return code
            if stopping.is_set():
                return _terminate(process)
            if time.monotonic() > deadline:
                log.error("crawl of %s exceeded %ss; stopping it", job["source_id"], timeout)
                return _terminate(process)
    except BaseException:
        # Ctrl-C or SIGTERM on `foiwatch crawl`: stop the child too, and go.
        _terminate(process)
        raise
    finally:
        with _running_lock:
            _running.discard(process)
