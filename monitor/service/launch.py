"""Crawl processes, forked from a warm fork server.

Every crawl runs in a process of its own: Scrapy's Twisted reactor cannot be restarted in one
process, and a crawl that leaks memory or hangs must be contained. Started as a fresh interpreter,
each such process spent about a second of CPU importing Scrapy, Twisted, SQLAlchemy and the spiders
before its first request, more than a small source's whole crawl.

So crawls are forked from a fork server (``multiprocessing``'s "forkserver" start method): a fresh
interpreter, started on the first crawl, that imports ``crawler.warm`` once and forks one child per
crawl. As with any multiprocessing program, a script that crawls must guard its entry point with
``if __name__ == "__main__":``. The server holds no threads, connections or reactor, so forking it
is safe; a server that dies is started again by the next crawl. The job (with the database URL,
which may carry a password) travels pickled over the server's private socket, never on a command
line.

The child (``crawler.run.run_forked``) starts a session of its own, so a stop signals everything it
started; it writes to the source's log and dies with the fork server, which exits with foiwatch.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
from multiprocessing import spawn
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from crawler.run import DATABASE_VARIABLE, MAIN_PATH_VARIABLE, run_forked

_context: ForkServerContext | None = None
_context_lock = threading.Lock()


def _fork_server(database_url: str | None = None) -> ForkServerContext:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            # multiprocessing runs the main script again in every child it starts, as "__mp_main__"
            # (``foiwatch``, ``pytest``, a script: guarded by ``if __name__ == "__main__"``; a module
            # run with ``-m`` is skipped). Its fork server's preload of "__main__" is meant to do
            # that once, in the server, but in Python 3.11 it never does: the server reads the
            # script's path from a key ("main_path") its preparation data does not have (it is
            # "init_main_from_path"). So the path goes to the server in the environment and
            # crawler.warm imports the script there; each child finds it and skips the import,
            # which under ``foiwatch run`` was about 0.2 s of CPU per crawl.
            main_path = spawn.get_preparation_data("crawl").get("init_main_from_path")
            if main_path:
                os.environ[MAIN_PATH_VARIABLE] = main_path
            else:
                os.environ.pop(MAIN_PATH_VARIABLE, None)
            if database_url:
                os.environ[DATABASE_VARIABLE] = database_url.split(":", 1)[0]  # the scheme, no secrets
            else:
                os.environ.pop(DATABASE_VARIABLE, None)
            context.set_forkserver_preload(["crawler.warm"])
            _context = context
        return _context


class CrawlProcess:
    """One crawl in a process of its own: start, wait, signal."""

    def __init__(self, job: dict[str, Any], log_file: Path) -> None:
        self._process: BaseProcess = _fork_server(job.get("database_url")).Process(
            target=run_forked, args=(job, str(log_file)), name=f"crawl {job['source_id']}", daemon=False
        )

    def start(self) -> None:
        self._process.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit status (negative: killed by that signal), or None while it still runs."""
        self._process.join(timeout)
        return self._process.exitcode

    def signal(self, sig: signal.Signals) -> None:
        """``sig`` to the crawl and everything it started (before its session exists: to it alone)."""
        pid = self._process.pid
        if pid is None or self._process.exitcode is not None:
            return
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
