"""The service benchmark: ``foiwatch run`` over many sources, its memory sampled every second.

A farm of ``sources`` small police logs (1 to 3 responses each) is served by ``hosts`` farm
servers on 127.0.0.1 (one port each: a host's crawls take turns, as on real sites, so sources are
spread over several hosts). The configuration schedules each source every 6 hours with its first
crawl spread over ``sources / per_minute`` minutes, so about ``per_minute`` crawls fall due each
minute: "200 scheduled runs of 500 sources" is 500 configured sources and the service's first 200
crawls of them. The service (``tests.benchservice.timed_run``: ``foiwatch run`` with job timers)
runs until ``runs`` crawl jobs have finished, or ``max_minutes``; then it gets SIGTERM.

Every second the sampler reads, from /proc, the service process's resident memory (RSS), the memory
of the service with all its descendants (the crawl fork server and the crawls it forked) as
proportional set size (PSS: pages the fork shares are counted once, split between the processes
sharing them; summed RSS would count them in every process), and how many jobs have finished.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.benchfarm.farm import Farm
from tests.benchfarm.server import FarmProcess
from tests.conftest import REPO

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1024 * 1024


@dataclass(frozen=True)
class Sample:
    seconds: float
    service: float  # MB
    total: float  # MB, PSS with every descendant
    jobs: int


@dataclass
class ServiceRun:
    samples: list[Sample] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None
    log: str = ""


def rss_mb(pid: int) -> float:
    """Resident memory of one process in MB (0 if it has gone)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * PAGE / MB


def pss_mb(pid: int) -> float:
    """Proportional set size of one process in MB (0 if it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024 / MB
    except (OSError, IndexError, ValueError):
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc's parent ids."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # the command name may hold spaces and parentheses: the fields start after the last ")"
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def build_farm(root: Path, sources: int) -> Farm:
    farm = Farm(root, sources=0, responses=0, seed=2026)
    for index in range(sources):
        farm.add_log(f"farm-police-{index + 1:03d}", 1 + index % 3)
    farm.site.mkdir(parents=True)
    return farm


def write_config(farm: Farm, servers: list[FarmProcess], per_minute: float) -> None:
    """The farm's configuration, its sources spread over the servers and their first crawls over time."""
    farm.write(servers[0].base_url, "json://127.0.0.1:9/notify")
    sources_file = farm.config / "sources.yaml"
    listed = yaml.safe_load(sources_file.read_text(encoding="utf-8"))
    for index, source in enumerate(listed["sources"]):
        source["url"] = servers[index % len(servers)].base_url + farm.log_path(source["id"])
    sources_file.write_text(yaml.safe_dump(listed), encoding="utf-8")
    settings_file = farm.config / "settings.yaml"
    settings = yaml.safe_load(settings_file.read_text(encoding="utf-8"))
    settings["service"].update(
        {
            "default_schedule": "every 6 hours",
            "jitter_seconds": 0,
            "first_crawl_within_seconds": round(len(listed["sources"]) * 60 / per_minute),
        }
    )
    settings_file.write_text(yaml.safe_dump(settings), encoding="utf-8")


def read_jobs(path: Path) -> list[dict[str, Any]]:
    """The jobs that crawled: a job that started no crawl subprocess (the service stopping, the
    source busy) returns at once and is left out, so it counts neither as a run nor in the times."""
    if not path.exists():
        return []
    jobs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [job for job in jobs if job["subprocess"] > 0]


def sample_service(
    command: list[str], env: dict[str, str], jobs_file: Path, runs: int, limit: float
) -> ServiceRun:
    """Start the service, sample it every second until ``runs`` jobs finished or ``limit`` s, stop it."""
    result = ServiceRun()
    log_file = jobs_file.with_suffix(".log")
    with log_file.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        try:
            while process.poll() is None and time.monotonic() - started < limit:
                finished = len(read_jobs(jobs_file))
                service = rss_mb(process.pid)
                total = pss_mb(process.pid) + sum(pss_mb(child) for child in descendants(process.pid))
                result.samples.append(Sample(time.monotonic() - started, service, total, finished))
                if finished >= runs:
                    break
                time.sleep(1.0)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                result.exit_code = process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                result.exit_code = process.wait()
    result.jobs = read_jobs(jobs_file)
    result.log = log_file.read_text(encoding="utf-8", errors="replace")
    return result


def run_service(
    scratch: Path,
    sources: int,
    runs: int,
    per_minute: float,
    hosts: int,
    max_minutes: float,
    database: str | None = None,
    tracemalloc_every: int = 0,
) -> ServiceRun:
    farm = build_farm(scratch / "farm", sources)
    jobs_file = scratch / "jobs.jsonl"
    with ExitStack() as stack:
        servers = [stack.enter_context(FarmProcess(farm.site)) for _ in range(max(1, hosts))]
        write_config(farm, servers, per_minute)
        command = [sys.executable, "-m", "tests.benchservice.timed_run", "--config", str(farm.config)]
        command += ["--data-dir", str(scratch / "data")] + (["--db", database] if database else []) + ["run"]
        env = {**os.environ, "FOIWATCH_BENCH_JOBS": str(jobs_file)}
        if tracemalloc_every:
            env["FOIWATCH_BENCH_TRACEMALLOC"] = str(tracemalloc_every)
        result = sample_service(command, env, jobs_file, runs, max_minutes * 60)
    traced = Path(f"{jobs_file}.tracemalloc")
    if traced.exists():
        result.log += "\n" + traced.read_text(encoding="utf-8")
    return result


def _slope(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 2 or len(set(xs)) < 2:
        return 0.0
    return statistics.linear_regression(xs, ys).slope


def summarise(run: ServiceRun) -> dict[str, Any]:
    """Peak and trend of the service's memory, throughput and the time per job outside the crawl."""
    samples = [s for s in run.samples if s.service]
    third = max(1, len(samples) // 3)
    later = samples[third:]
    jobs = sorted(run.jobs, key=lambda j: j["started"])
    outside = [j["seconds"] - j["subprocess"] for j in jobs]
    span = (jobs[-1]["started"] + jobs[-1]["seconds"] - jobs[0]["started"]) if jobs else 0.0
    return {
        "jobs": len(jobs),
        "minutes": samples[-1].seconds / 60 if samples else 0.0,
        "peak_service_mb": max((s.service for s in samples), default=0.0),
        "peak_total_mb": max((s.total for s in samples), default=0.0),
        "first_third_mb": statistics.fmean(s.service for s in samples[:third]) if samples else 0.0,
        "last_third_mb": statistics.fmean(s.service for s in samples[-third:]) if samples else 0.0,
        # over the last two thirds, so start-up (imports, first connections) is not taken for growth
        "slope_mb_per_100_runs": 100 * _slope([s.jobs for s in later], [s.service for s in later]),
        "slope_mb_per_minute": 60 * _slope([s.seconds for s in later], [s.service for s in later]),
        "crawls_per_minute": 60 * (len(jobs) - 1) / span if len(jobs) > 1 and span else 0.0,
        "job_seconds_median": statistics.median(j["seconds"] for j in jobs) if jobs else 0.0,
        "outside_crawl_seconds_median": statistics.median(outside) if outside else 0.0,
        "outside_crawl_seconds_max": max(outside, default=0.0),
    }
