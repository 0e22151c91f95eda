"""``python -m tests.benchservice [--sources 500 --runs 200 --per-minute 30 --json out.json]``.

Runs ``foiwatch run`` on a farm of small logs until ``--runs`` scheduled crawls have finished (see
bench.py) and prints a table (figure | value | target | met): the service's peak RSS and its trend,
crawls per minute and the time per job outside the crawl subprocess. Not a test: nothing here
asserts timing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tests.benchservice.bench import run_service, summarise
from tests.benchtable import print_rows

PEAK_TARGET_MB = 250
# "no upward trend": less than this many MB per 100 crawls over the last two thirds of the run
TREND_LIMIT_MB = 2.0


def rows(figures: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    peak, slope = figures["peak_service_mb"], figures["slope_mb_per_100_runs"]
    return [
        (
            "service peak RSS",
            f"{peak:.0f} MB",
            f"< {PEAK_TARGET_MB} MB",
            "yes" if peak < PEAK_TARGET_MB else "NO",
        ),
        (
            "service RSS trend, last 2/3",
            f"{slope:+.1f} MB per 100 runs ({figures['slope_mb_per_minute']:+.2f} MB/min)",
            f"< {TREND_LIMIT_MB:g} MB per 100 runs",
            "yes" if slope < TREND_LIMIT_MB else "NO",
        ),
        (
            "service RSS, first vs last third",
            f"{figures['first_third_mb']:.0f} -> {figures['last_third_mb']:.0f} MB",
            "",
            "",
        ),
        ("peak PSS with fork server and crawls", f"{figures['peak_total_mb']:.0f} MB", "", ""),
        ("crawl jobs finished", f"{figures['jobs']} in {figures['minutes']:.1f} min", "", ""),
        ("crawls per minute", f"{figures['crawls_per_minute']:.1f}", "", ""),
        ("job time, median", f"{figures['job_seconds_median']:.2f} s", "", ""),
        (
            "per job outside the crawl subprocess",
            f"{figures['outside_crawl_seconds_median']:.3f} s median, "
            f"{figures['outside_crawl_seconds_max']:.2f} s max",
            "",
            "",
        ),
    ]


def print_table(table: list[tuple[str, str, str, str]]) -> None:
    header = ("figure", "value", "target", "met")
    print_rows([header, *table])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchservice", description=__doc__)
    parser.add_argument("--sources", type=int, default=500, help="configured sources (1-3 responses each)")
    parser.add_argument("--runs", type=int, default=200, help="stop after this many finished crawl jobs")
    parser.add_argument("--per-minute", type=float, default=30, help="first crawls falling due per minute")
    parser.add_argument(
        "--hosts", type=int, default=20, help="farm servers (hosts) the sources are spread over"
    )
    parser.add_argument("--max-minutes", type=float, default=12)
    parser.add_argument("--db", help="database URL (default: SQLite in a scratch data folder)")
    parser.add_argument(
        "--tracemalloc",
        type=int,
        default=0,
        metavar="N",
        help="write the allocation sites that grew every N jobs (inflates RSS: not for the figures)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="benchservice-") as scratch:
        run = run_service(
            Path(scratch),
            args.sources,
            args.runs,
            args.per_minute,
            args.hosts,
            args.max_minutes,
            args.db,
            args.tracemalloc,
        )
    figures = summarise(run)
    if figures["jobs"] < args.runs or run.exit_code:
        print(f"note: {figures['jobs']} jobs finished, service exit status {run.exit_code}; its log ends:")
        print("\n".join(run.log.splitlines()[-15:]))
    if args.tracemalloc and "-- after" in run.log:
        print(run.log[run.log.index("-- after") :])
    print(
        f"\nfoiwatch run: {args.sources} sources, about {args.per_minute:g} crawls falling due a minute, "
        f"{args.hosts} hosts, stopped after {args.runs} crawls"
    )
    table = rows(figures)
    print_table(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        report = {
            "arguments": {k: v for k, v in vars(args).items() if k != "json"},
            "figures": figures,
            "samples": [asdict(s) for s in run.samples],
            "jobs": run.jobs,
        }
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
