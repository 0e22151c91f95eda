"""``foiwatch`` with two timers, for the service benchmark: ``python -m tests.benchservice.timed_run
--config C --data-dir D run``.

The real command line and service, unchanged, except that every scheduled crawl job
(``Service.crawl``: lease, run, crawl subprocess, diff, health, delivery) and the crawl process
within it are timed; one JSON line per job goes to the file named by ``FOIWATCH_BENCH_JOBS``.
With ``FOIWATCH_BENCH_TRACEMALLOC=N`` the service's allocations are traced and, every N jobs, the
sites that grew most since job N are written beside it (``<jobs file>.tracemalloc``).
"""

from __future__ import annotations

import json
import os
import threading
import time
import tracemalloc
from pathlib import Path

import monitor.service.executors as executors
import monitor.service.scheduler as scheduler
from monitor.cli.main import main

_local = threading.local()
_lock = threading.Lock()
_jobs = 0
_baseline: tracemalloc.Snapshot | None = None


def _timed_subprocess(job: dict[str, object], timeout: float, log_file: Path) -> int:
    started = time.perf_counter()
    try:
        return _run_subprocess(job, timeout, log_file)
    finally:
        _local.subprocess = getattr(_local, "subprocess", 0.0) + time.perf_counter() - started


def _timed_crawl(service: scheduler.Service, source_id: str) -> None:
    _local.subprocess = 0.0
    started, clock = time.time(), time.perf_counter()
    try:
        _crawl(service, source_id)
    finally:
        line = {
            "source": source_id,
            "started": started,
            "seconds": time.perf_counter() - clock,
            "subprocess": _local.subprocess,
        }
        _record(line)


def _record(line: dict[str, object]) -> None:
    global _jobs, _baseline
    with _lock:
        _jobs += 1
        with _out.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
        if not _every:
            return
        if _jobs == _every:
            _baseline = tracemalloc.take_snapshot()
        elif _baseline is not None and _jobs % _every == 0:
            grown = tracemalloc.take_snapshot().compare_to(_baseline, "lineno")[:15]
            with Path(f"{_out}.tracemalloc").open("a", encoding="utf-8") as out:
                out.write(f"-- after {_jobs} jobs, growth since job {_every}:\n")
                out.writelines(f"{stat}\n" for stat in grown)


_out = Path(os.environ["FOIWATCH_BENCH_JOBS"])
_every = int(os.environ.get("FOIWATCH_BENCH_TRACEMALLOC", "0"))
if _every:
    tracemalloc.start(10)
_run_subprocess, executors._run_subprocess = executors._run_subprocess, _timed_subprocess
_crawl = scheduler.Service.crawl
scheduler.Service.crawl = _timed_crawl  # type: ignore[method-assign]

if __name__ == "__main__":
    main()
