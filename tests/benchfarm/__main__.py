"""``python -m tests.benchfarm [--sources N --responses M --runs R --json out.json]``: see bench.py.

Prints a table (measure | foiwatch | reference or minimum | ratio | target), medians over the runs
with min-max beside them, and writes every figure's min/median/max as JSON. Not a test: nothing
here asserts timing.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from tests.benchfarm.bench import TARGETS, one_run, summarise
from tests.benchtable import print_rows


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _cell(spread: dict[str, float] | None, unit: str = "") -> str:
    if spread is None:
        return "-"
    if spread["min"] == spread["max"]:
        return f"{_number(spread['median'])}{unit}"
    return f"{_number(spread['median'])}{unit} ({_number(spread['min'])}-{_number(spread['max'])})"


def print_table(summary: dict[str, dict]) -> None:
    rows = [("measure", "foiwatch", "reference / minimum", "ratio", "target", "met")]
    for measure, figures in summary.items():
        check = TARGETS[measure][2]
        ratio = figures["ratio"]
        met = "" if check is None or ratio is None else ("yes" if check(ratio["median"]) else "NO")
        if measure.endswith("notifications"):
            met = "yes" if figures["foiwatch"] == figures["other_value"] else "NO"
        other = f"{figures['other']}: {_cell(figures['other_value'])}" if figures["other"] else "-"
        rows.append((measure, _cell(figures["foiwatch"]), other, _cell(ratio, "x"), figures["target"], met))
    print_rows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchfarm", description=__doc__)
    parser.add_argument("--sources", type=int, default=20, help="police logs (police_soh)")
    parser.add_argument("--councils", type=int, default=0, help="council logs (html_log, Barnet's layout)")
    parser.add_argument("--responses", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = []
    for number in range(args.runs):
        started = time.perf_counter()
        with tempfile.TemporaryDirectory(prefix="benchfarm-") as scratch:
            runs.append(one_run(Path(scratch), args.sources, args.responses, args.seed, args.councils))
        print(f"run {number + 1}/{args.runs}: {time.perf_counter() - started:.0f} s", flush=True)
        for note in runs[-1].notes:
            print(f"  note: {note}")
    summary = summarise(runs)
    print(
        f"\nbenchmark farm: {args.sources} police and {args.councils} council logs x {args.responses} "
        f"responses, {args.runs} runs "
        "(median, min-max)"
    )
    print_table(summary)
    if args.json:
        report = {
            "sources": args.sources,
            "councils": args.councils,
            "responses": args.responses,
            "runs": args.runs,
            "measures": summary,
        }
        report["notes"] = [note for run in runs for note in run.notes]
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
