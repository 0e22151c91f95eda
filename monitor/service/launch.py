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
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from crawler.run import run_forked

_context: ForkServerContext | None = None
_context_lock = threading.Lock()


def _fork_server() -> ForkServerContext:
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            # "__main__" too: multiprocessing imports the main module into every child it starts
            # (``foiwatch``, ``pytest``, a script: guarded by ``if __name__ == "__main__"``); imported
            # once in the server, each child finds it there and skips that import.
            context.set_forkserver_preload(["__main__", "crawler.warm"])
            _context = context
        return _context


class CrawlProcess:
    """One crawl in a process of its own: start, wait, signal."""

    def __init__(self, job: dict[str, Any], log_file: Path) -> None:
        self._process: BaseProcess = _fork_server().Process(
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
