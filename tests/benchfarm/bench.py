"""The farm benchmark: foiwatch against a do-nothing Scrapy spider on the same generated logs.

Each run builds the farm afresh (same seed, so the same pages), serves it from a child process and
measures, in order:

- full crawl: ``crawl_source(..., "full")`` for every log, as ``foiwatch crawl --full`` does, then
  the reference spider over exactly the addresses foiwatch fetched; pages are the server's counts
  (robots.txt included for both), CPU is this process's plus its children's (the fork server's
  crawls included), the farm server's left out;
- the same full crawl again, every page a 304 read again from the cache: CPU per page (no target);
- fixed cost: an incremental crawl of a log of one listing page with nothing new, against a
  do-nothing ``scrapy crawl`` process fetching robots.txt and that page;
- re-crawl with nothing new, then with 1% new responses published: requests against the minimum
  (one conditional request of each log's first listing page, plus each new response page and its
  letter), time, and outbox rows made against the new CCTV responses.

Nothing is delivered: the notifications counted are the outbox rows the crawls wrote. A crawl that
fails stops the benchmark; problems a crawl records (a page not read as a response) become notes.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from crawler.run import build_settings
from monitor.app import App, open_app
from monitor.classify import TopicClassifier, build_classifiers
from monitor.service.crawls import crawl_source
from storage.models import Notification
from tests.benchfarm.farm import Entry, Farm
from tests.benchfarm.reference import reference_settings
from tests.benchfarm.server import FarmProcess

FIXED_SOURCE_RESPONSES = 5
NEW_SHARE = 0.01


@dataclass
class Cost:
    seconds: float = 0.0
    cpu: float = 0.0


def _cpu(server: int) -> float:
    """CPU seconds of this process and every process it started, finished or not, but the farm's
    server (process ``server``), which serves both sides.

    Crawls are forked by foiwatch's fork server, a child that lives as long as this process: their
    CPU reaches RUSAGE_CHILDREN only when it exits, so live children are read from /proc (their own
    time plus that of the children they have reaped).
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime + _live_children_cpu(server)


def _live_children_cpu(server: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for task in Path("/proc/self/task").iterdir():
        for child in (task / "children").read_text().split():
            if int(child) == server:
                continue
            with contextlib.suppress(OSError):
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
                # utime, stime, cutime, cstime: fields 14-17 of proc(5), counted from the state (3rd)
                total += sum(int(value) for value in fields[11:15])
    return total / ticks


@contextmanager
def measured(server: FarmProcess) -> Iterator[Cost]:
    """Wall and CPU time of the block, the farm server's CPU left out (it is a live child too)."""
    cost = Cost()
    wall, cpu = time.perf_counter(), _cpu(server.pid)
    yield cost
    cost.seconds, cost.cpu = time.perf_counter() - wall, _cpu(server.pid) - cpu


@dataclass
class RunFigures:
    """One run's figures, by measure name: (foiwatch, reference or minimum)."""

    figures: dict[str, tuple[float, float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_reference(base_url: str, paths: list[str], settings: dict[str, Any]) -> None:
    job = {"base_url": base_url, "paths": paths, "settings": settings}
    subprocess.run(
        [sys.executable, "-m", "tests.benchfarm.reference"],
        input=json.dumps(job),
        text=True,
        check=True,
    )


def _outbox(app: App) -> int:
    with app.database.session() as session:
        return int(session.scalar(select(func.count(Notification.id))) or 0)


def _crawl(
    app: App, classifiers: dict[str, TopicClassifier], sources: list[str], mode: str, notes: list[str]
) -> None:
    """Crawl and diff each source with ``classifiers``, built once, as ``foiwatch run`` builds them
    once when it starts."""
    for source_id in sources:
        summary = crawl_source(
            app.database, app.config, app.config.source(source_id), app.data_dir, mode, classifiers
        )
        if summary.failed:
            raise SystemExit(f"benchmark crawl failed: {summary.in_words()}")
        if summary.error:
            notes.append(f"{mode} crawl of {source_id}: {summary.error}")


def _requests(counts: Counter[tuple[str, int]]) -> int:
    return sum(counts.values())


def breakdown(farm: Farm, counts: Counter[tuple[str, int]]) -> str:
    """Requests by kind of address and status, in words: where requests above the minimum go."""
    listings = {p for source in farm.logs for p in farm.listing_paths(source)}
    kinds: Counter[str] = Counter()
    for (path, status), count in counts.items():
        if path == "/robots.txt":
            kind = "robots.txt"
        elif path in listings:
            kind = "listing pages"
        elif path.endswith(".pdf"):
            kind = "letters"
        else:
            kind = "response pages"
        kinds[f"{kind} {status}"] += count
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(kinds.items()))


def one_run(scratch: Path, sources: int, responses: int, seed: int, councils: int = 0) -> RunFigures:
    farm = Farm(scratch / "farm", sources, responses, seed, council_logs=councils)
    names = list(farm.logs)
    fixed_id = "farm-police-fixed"
    farm.add_log(fixed_id, FIXED_SOURCE_RESPONSES)
    farm.site.mkdir(parents=True)
    out = RunFigures()
    with FarmProcess(farm.site) as server:
        farm.write(server.base_url, "json://127.0.0.1:9/notify")
        app = open_app(farm.config, f"sqlite:///{scratch / 'foiwatch.sqlite3'}", scratch / "data")
        classifiers = build_classifiers(app.config.topics)  # as the service does when it starts
        settings = reference_settings(build_settings(app.config.crawler, scratch / "data", "sqlite://"))

        server.reset()
        with measured(server) as ours:
            _crawl(app, classifiers, names, "full", out.notes)
        counts = server.stats(reset=True)
        pages = _requests(counts)
        fetched = sorted({p for p, _ in counts if p != "/robots.txt"})
        expected = set(farm.paths(names))
        if set(fetched) != expected:
            missing, extra = sorted(expected - set(fetched)), sorted(set(fetched) - expected)
            out.notes.append(
                f"foiwatch fetched {len(fetched)} addresses, the farm has {len(expected)}; "
                f"not fetched: {missing[:3]}; not the farm's: {extra[:3]}"
            )
        with measured(server) as theirs:
            run_reference(server.base_url, fetched, settings)
        reference_pages = _requests(server.stats(reset=True))
        out.figures["full crawl (pages/s)"] = (pages / ours.seconds, reference_pages / theirs.seconds)
        out.figures["CPU per page (ms)"] = (1000 * ours.cpu / pages, 1000 * theirs.cpu / reference_pages)
        out.figures["full crawl pages"] = (pages, reference_pages)

        # The same full crawl again: every page answers 304 and is read again from the cache, as
        # the daily full crawl of an unchanged log is (sizing's largest CPU line).
        with measured(server) as again:
            _crawl(app, classifiers, names, "full", out.notes)
        revalidated = _requests(server.stats(reset=True))
        out.figures["full re-crawl, all 304: CPU per page (ms)"] = (1000 * again.cpu / revalidated, 0.0)

        _crawl(app, classifiers, [fixed_id], "full", out.notes)  # its silent baseline, not timed
        server.reset()
        with measured(server) as ours:
            _crawl(app, classifiers, [fixed_id], "incremental", out.notes)
        with measured(server) as theirs:
            run_reference(server.base_url, [farm.log_path(fixed_id)], settings)
        server.reset()
        out.figures["fixed cost per source (s)"] = (ours.seconds, theirs.seconds)

        _recrawl(app, classifiers, server, farm, names, "re-crawl, nothing new", [], out)
        new = farm.publish_new(max(1, round(len(names) * responses * NEW_SHARE)), names)
        _recrawl(app, classifiers, server, farm, names, "re-crawl, 1% new", new, out)
        app.database.dispose()
    return out


def _recrawl(
    app: App,
    classifiers: dict[str, TopicClassifier],
    server: FarmProcess,
    farm: Farm,
    names: list[str],
    label: str,
    new: list[Entry],
    out: RunFigures,
) -> None:
    """An incremental crawl of every log once ``new`` is published: requests against the minimum
    (one conditional request of each log's first listing page, plus each new page and its letter),
    time, and outbox rows against the new CCTV responses."""
    minimum = len(names) + len(new) + sum(1 for e in new if e.letter)
    before = _outbox(app)
    with measured(server) as ours:
        _crawl(app, classifiers, names, "incremental", out.notes)
    counts = server.stats(reset=True)
    published = f" ({len(new)} responses)" if new else ""
    out.notes.append(f"{label}{published}: {breakdown(farm, counts)}")
    out.figures[f"{label}: requests"] = (_requests(counts), minimum)
    out.figures[f"{label}: time (s)"] = (ours.seconds, 0.0)
    out.figures[f"{label}: CPU per log (s)"] = (ours.cpu / len(names), 0.0)
    out.figures[f"{label}: notifications"] = (_outbox(app) - before, farm.cctv_count(new))


# measure -> (what the right-hand column is, target as text, whether a bigger ratio is better, limit)
TARGETS: dict[str, tuple[str, str, Callable[[float], bool] | None]] = {
    "full crawl (pages/s)": ("do-nothing spider", ">= 0.7x", lambda r: r >= 0.7),
    "CPU per page (ms)": ("do-nothing spider", "<= 2x", lambda r: r <= 2),
    "fixed cost per source (s)": ("do-nothing scrapy crawl", "<= 1.5x", lambda r: r <= 1.5),
    "full crawl pages": ("do-nothing spider", "", None),
    "full re-crawl, all 304: CPU per page (ms)": ("", "", None),
    "re-crawl, nothing new: requests": ("minimum", "<= 1.05x", lambda r: r <= 1.05),
    "re-crawl, nothing new: time (s)": ("", "", None),
    "re-crawl, nothing new: CPU per log (s)": ("", "", None),
    "re-crawl, nothing new: notifications": ("new CCTV", "= new CCTV", None),
    # No target: a log with new responses is read one listing page past the newest known one,
    # since logs ordered by request date list a late answer below ones already seen.
    "re-crawl, 1% new: requests": ("minimum", "- (see note)", None),
    "re-crawl, 1% new: time (s)": ("", "", None),
    "re-crawl, 1% new: CPU per log (s)": ("", "", None),
    "re-crawl, 1% new: notifications": ("new CCTV", "= new CCTV", None),
}


def _spread(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def summarise(runs: list[RunFigures]) -> dict[str, Any]:
    """Per measure: foiwatch, the other side and their ratio, each as min/median/max over the runs."""
    summary: dict[str, Any] = {}
    for measure, (other, target, _) in TARGETS.items():
        ours = [r.figures[measure][0] for r in runs]
        theirs = [r.figures[measure][1] for r in runs]
        ratios = [a / b for a, b in zip(ours, theirs, strict=True) if b]
        summary[measure] = {
            "foiwatch": _spread(ours),
            "other": other,
            "other_value": _spread(theirs),
            "ratio": _spread(ratios) if ratios else None,
            "target": target,
        }
    return summary
