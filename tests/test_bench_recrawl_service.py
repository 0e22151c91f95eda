"""The re-crawl and service benchmarks run end to end at tiny sizes, so their code cannot rot.

No timing is asserted: only that each measured what it says (runs timed, statements counted,
memory sampled, jobs recorded) and that the tables print.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import bench_recrawl
from tests.benchservice import __main__ as service_table
from tests.benchservice.bench import run_service, summarise


def test_the_recrawl_benchmark_times_unchanged_recrawls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    measures = bench_recrawl.run(small=20, large=40, runs=1, sqlite_only=True, scratch=tmp_path)

    assert [(m.dialect, m.responses) for m in measures] == [("sqlite", 20), ("sqlite", 40)]
    for measure in measures:
        (timed,) = measure.runs
        assert 0 < timed.subprocess < timed.total
        assert timed.statements > 0
    bench_recrawl.print_table(bench_recrawl.rows(measures))
    assert "sqlite: per-run cost, 40 / 20" in capsys.readouterr().out


def test_the_service_benchmark_samples_foiwatch_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_service(tmp_path, sources=4, runs=3, per_minute=120, hosts=2, max_minutes=2)

    assert run.exit_code == 0, run.log[-2000:]
    figures = summarise(run)
    assert figures["jobs"] >= 3
    assert all(0 < job["subprocess"] < job["seconds"] for job in run.jobs)
    assert figures["peak_service_mb"] > 0
    assert figures["peak_total_mb"] >= figures["peak_service_mb"]
    service_table.print_table(service_table.rows(figures))
    assert "service peak RSS" in capsys.readouterr().out
