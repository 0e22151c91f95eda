"""``make bench``, re-crawl part: the per-run cost of one source as the stored corpus grows (issue 10).

For each database (SQLite, then PostgreSQL) and each size (1,000 and 100,000 stored responses of
other sources, bulk-loaded with ``tests.bench_search``'s loader plus one crawl run per ten
responses), one farm log is crawled in full once, then re-crawled unchanged several times with the
real ``crawl_source`` (lease, run, crawl subprocess, diff, health, summary) against a local farm
site, the two sizes in turn so that background load weighs on both alike. Table statistics are
refreshed after loading, as the service's daily prune job does.

Per re-crawl it times the whole run, the crawl subprocess, and the rest (the database part in
this process: start_run, diff, health, summary), and counts this process's SQL statements. The
figure held to the target is the median per-run cost at the large size over the small one.

Run: ``.venv/bin/python -m tests.bench_recrawl [--small N --large N --runs R --sqlite-only
--json out.json]``. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, insert, text

import monitor.service.crawls as crawls
import monitor.service.executors as executors
from crawler.config import SourceConfig
from monitor.app import App, open_app
from storage.db import Database
from storage.models import CrawlRun
from tests.bench_search import PG_URL, SOURCES, _load
from tests.benchfarm.farm import Farm
from tests.benchfarm.server import FarmProcess
from tests.benchtable import print_rows
from tests.conftest import pg_schema

TARGET_RATIO = 1.2
FARM_RESPONSES = 20  # one listing page
RESPONSES_PER_RUN = 10
# tables the loader fills with explicit ids; PostgreSQL's sequences must then be moved past them
LOADED_TABLES = ("responses", "response_versions", "topic_matches", "crawl_runs")


@dataclass
class Timings:
    """One re-crawl: the whole run, its crawl subprocess, and this process's SQL statements."""

    total: float = 0.0
    subprocess: float = 0.0
    statements: int = 0

    @property
    def database(self) -> float:
        return self.total - self.subprocess


@dataclass
class Measure:
    dialect: str
    responses: int
    runs: list[Timings] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(run, name) for run in self.runs)


def load_other_sources(database: Database, count: int) -> None:
    """``count`` responses of 40 other sources, with their crawl runs; statistics refreshed."""
    _load(database, count)
    started = datetime(2026, 1, 1, tzinfo=UTC)
    runs = [
        {
            "id": n + 1,
            "source_id": SOURCES[n % len(SOURCES)].id,
            "started_at": started + timedelta(hours=n),
            "finished_at": started + timedelta(hours=n, minutes=1),
            "status": "succeeded",
            "mode": "full" if n % 10 == 0 else "incremental",
            "complete": n % 10 == 0,
            "diffed": True,
        }
        for n in range(max(1, count // RESPONSES_PER_RUN))
    ]
    with database.session() as session:
        session.execute(insert(CrawlRun), runs)
        if database.engine.dialect.name == "postgresql":
            for table in LOADED_TABLES:
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                session.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))
    database.refresh_statistics()


@contextmanager
def timed_subprocess(timings: list[float]) -> Iterator[None]:
    """Time every crawl process ``crawl_source`` starts (the local executor calls its module's
    function by name)."""
    original = executors._run_subprocess

    def run(job: dict[str, object], timeout: float, log_file: Path) -> int:
        started = time.perf_counter()
        try:
            return original(job, timeout, log_file)
        finally:
            timings.append(time.perf_counter() - started)

    executors._run_subprocess = run
    try:
        yield
    finally:
        executors._run_subprocess = original


@dataclass
class Prepared:
    """One database loaded to one size, the farm log crawled in full once: ready for re-crawls."""

    app: App
    source: SourceConfig
    measure: Measure
    statements: list[int] = field(default_factory=lambda: [0])

    def recrawl(self) -> None:
        """One timed unchanged re-crawl; a re-crawl that finds anything stops the benchmark."""
        subprocess_seconds: list[float] = []
        self.statements[0] = 0
        with timed_subprocess(subprocess_seconds):
            started = time.perf_counter()
            summary = crawls.crawl_source(
                self.app.database, self.app.config, self.source, self.app.data_dir, "incremental"
            )
            total = time.perf_counter() - started
        if summary.failed or summary.new or summary.changed:
            raise SystemExit(f"an unchanged re-crawl was not: {summary.in_words()}")
        self.measure.runs.append(Timings(total, sum(subprocess_seconds), self.statements[0]))


def prepare(url: str, responses: int, scratch: Path, farm: Farm) -> Prepared:
    database = Database(url)
    try:
        load_other_sources(database, responses)
    finally:
        database.dispose()
    app = open_app(farm.config, url, scratch / "data")
    measure = Measure(app.database.engine.dialect.name, responses)
    prepared = Prepared(app, app.config.source(next(iter(farm.logs))), measure)

    def count(*_args: Any) -> None:
        prepared.statements[0] += 1

    event.listen(app.database.engine, "before_cursor_execute", count)
    first = crawls.crawl_source(app.database, app.config, prepared.source, app.data_dir, "full")
    if first.failed:
        raise SystemExit(f"benchmark crawl failed: {first.in_words()}")
    return prepared


def compare(urls: list[str], sizes: tuple[int, int], runs: int, scratch: Path, farm: Farm) -> list[Measure]:
    """Both sizes on one database, their re-crawls taken in turn so background load hits both alike."""
    prepared: list[Prepared] = []
    try:
        for url, size in zip(urls, sizes, strict=True):
            print(f"  loading {size:,} stored responses ...", flush=True)
            prepared.append(prepare(url, size, scratch / str(size), farm))
        for _ in range(runs):
            for each in prepared:
                each.recrawl()
    finally:
        for each in prepared:
            each.app.database.dispose()
    return [each.measure for each in prepared]


def _ratio(large: Measure, small: Measure, name: str) -> float:
    return large.median(name) / small.median(name)


def rows(measures: list[Measure]) -> list[tuple[str, str, str, str]]:
    """(figure, value, target, met) for the table: each size's medians, then the ratios."""
    table = []
    for m in measures:
        label = f"{m.dialect}, {m.responses:,} stored"
        table.append((f"{label}: per run (s)", f"{m.median('total'):.2f}", "", ""))
        table.append((f"{label}: database part (s)", f"{m.median('database'):.3f}", "", ""))
        table.append((f"{label}: SQL statements", f"{m.median('statements'):.0f}", "", ""))
    for dialect in dict.fromkeys(m.dialect for m in measures):
        small, large = [m for m in measures if m.dialect == dialect]
        for name, what in (("total", "per-run cost"), ("database", "database part")):
            ratio = _ratio(large, small, name)
            met = "yes" if ratio <= TARGET_RATIO else "NO"
            figure = f"{dialect}: {what}, {large.responses:,} / {small.responses:,}"
            table.append((figure, f"{ratio:.2f}x", f"<= {TARGET_RATIO}x", met))
    return table


def print_table(table: list[tuple[str, str, str, str]]) -> None:
    header = ("figure", "value", "target", "met")
    print_rows([header, *table])


def _report(measures: list[Measure], table: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    return {
        "measures": [
            {
                "database": m.dialect,
                "responses": m.responses,
                "runs": [
                    {
                        "total": r.total,
                        "subprocess": r.subprocess,
                        "database": r.database,
                        "statements": r.statements,
                    }
                    for r in m.runs
                ],
            }
            for m in measures
        ],
        "table": [dict(zip(("figure", "value", "target", "met"), row, strict=True)) for row in table],
    }


def _postgresql_reachable() -> bool:
    try:
        create_engine(PG_URL).connect().close()
    except Exception as exc:
        print(f"postgresql: not measured, {PG_URL} cannot be reached ({exc.__class__.__name__})")
        return False
    return True


def run(small: int, large: int, runs: int, sqlite_only: bool, scratch: Path) -> list[Measure]:
    farm = Farm(scratch / "farm", sources=1, responses=FARM_RESPONSES, seed=2026)
    farm.site.mkdir(parents=True)
    with FarmProcess(farm.site) as server:
        farm.write(server.base_url, "json://127.0.0.1:9/notify")
        print("sqlite:", flush=True)
        files = [f"sqlite:///{scratch / f'sqlite-{size}.sqlite3'}" for size in (small, large)]
        measures = compare(files, (small, large), runs, scratch / "sqlite", farm)
        if sqlite_only or not _postgresql_reachable():
            return measures
        print("postgresql:", flush=True)
        with pg_schema(PG_URL) as first, pg_schema(PG_URL) as second:
            measures += compare([first, second], (small, large), runs, scratch / "postgresql", farm)
    return measures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_recrawl", description=__doc__)
    parser.add_argument("--small", type=int, default=1_000, help="stored responses, small size")
    parser.add_argument("--large", type=int, default=100_000, help="stored responses, large size")
    parser.add_argument("--runs", type=int, default=7, help="timed re-crawls per size (median)")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-recrawl-") as scratch:
        measures = run(args.small, args.large, args.runs, args.sqlite_only, Path(scratch))
    table = rows(measures)
    print(
        f"\nunchanged incremental re-crawl of one {FARM_RESPONSES}-response log, median of {args.runs} runs"
    )
    print_table(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(_report(measures, table), indent=2), encoding="utf-8")
        print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
