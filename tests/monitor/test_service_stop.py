"""Stopping and steering the service: SIGTERM with crawls hung, SIGHUP, one service per database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from monitor.app import open_app
from monitor.demo.localsite import LocalSite
from storage.db import Database
from storage.models import CrawlRun, Source
from storage.service_lock import holder
from tests.conftest import SOH_SITE, write_config

MET_LOG = "/foi-ai/metropolitan-police/disclosure-log/"
CLEVELAND_LOG = "/foi-ai/cleveland-police/disclosure/"
FAST_SERVICE = {"jitter_seconds": 0, "first_crawl_within_seconds": 0}


def _wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def _source(source_id: str, url: str) -> dict[str, object]:
    return {"id": source_id, "platform": "police_soh", "authority": source_id, "url": url}


@contextmanager
def _service(config: Path, data: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.main", "--config", str(config), "--data-dir", str(data), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _runs(data: Path) -> list[CrawlRun]:
    """The runs so far (none while the service is still creating its database)."""
    if not (data / "foiwatch.sqlite3").exists():
        return []
    database = Database(f"sqlite:///{data / 'foiwatch.sqlite3'}", migrate=False)
    try:
        with database.session() as session:
            return list(session.scalars(select(CrawlRun).order_by(CrawlRun.id)))
    except OperationalError:
        return []
    finally:
        database.dispose()


def _lock_holder(data: Path) -> int | None:
    if not (data / "foiwatch.sqlite3").exists():
        return None
    database = Database(f"sqlite:///{data / 'foiwatch.sqlite3'}", migrate=False)
    try:
        with database.session() as session:
            lock = holder(session)
            return lock.pid if lock else None
    except OperationalError:
        return None
    finally:
        database.dispose()


def test_sigterm_with_hung_crawls_and_queued_jobs_exits_within_ten_seconds(
    tmp_path: Path, soh_site: LocalSite
) -> None:
    # Six sources whose listings never answer, on three hosts (sources on one host take turns), four
    # worker threads: crawls hang, jobs wait in the pool and for their host.
    with LocalSite(SOH_SITE) as second, LocalSite(SOH_SITE) as third:
        _stop_hung_service(tmp_path, [soh_site, second, third])


def _stop_hung_service(tmp_path: Path, sites: list[LocalSite]) -> None:
    sources = []
    for n in range(6):
        site = sites[n % len(sites)]
        site.faults[f"/hung-{n}/disclosure-log/"] = "hang"
        sources.append(_source(f"hung-{n}", site.url(f"/hung-{n}/disclosure-log/")))
    config = write_config(
        tmp_path / "config", sources, crawler={"download_timeout": 300}, service=FAST_SERVICE
    )
    data = tmp_path / "data"
    with _service(config, data) as process:
        _wait_for(lambda: sum(r.status == "running" for r in _runs(data)) >= 3)
        process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        output, _ = process.communicate(timeout=10)
        took = time.monotonic() - stopped_at
    assert process.returncode == 0, output
    assert took < 10, took
    assert "RuntimeError" not in output and "Traceback" not in output, output
    runs = _runs(data)
    assert runs and {r.status for r in runs} == {"interrupted"}, [(r.source_id, r.status) for r in runs]
    # Jobs queued behind the hung ones never started a crawl after the stop.
    assert len(runs) <= 4
    assert all(r.error_summary and "interrupted" in r.error_summary for r in runs)


def test_a_second_service_on_the_same_database_is_refused(tmp_path: Path, soh_site: LocalSite) -> None:
    config = write_config(
        tmp_path / "config", [_source("cleveland", soh_site.url(CLEVELAND_LOG))], service=FAST_SERVICE
    )
    data = tmp_path / "data"
    with _service(config, data) as first:
        _wait_for(lambda: (data / "foiwatch.sqlite3").exists() and bool(_runs(data)))
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor.cli.main",
                "--config",
                str(config),
                "--data-dir",
                str(data),
                "run",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2, second.stderr
        assert f"process {first.pid}" in second.stderr and "already serving this database" in second.stderr
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=10)
    assert first.returncode == 0
    # The lock went with the first service: a new one starts (and is stopped at once).
    with _service(config, data) as third:
        _wait_for(lambda: _lock_holder(data) == third.pid)
        third.send_signal(signal.SIGTERM)
        third.communicate(timeout=10)
    assert third.returncode == 0


def test_a_killed_service_does_not_lock_out_its_successor(tmp_path: Path, soh_site: LocalSite) -> None:
    config = write_config(
        tmp_path / "config", [_source("cleveland", soh_site.url(CLEVELAND_LOG))], service=FAST_SERVICE
    )
    data = tmp_path / "data"
    with _service(config, data) as first:
        _wait_for(lambda: (data / "foiwatch.sqlite3").exists() and bool(_runs(data)))
        first.kill()
        first.wait()
    with _service(config, data) as second:
        _wait_for(lambda: _lock_holder(data) == second.pid)
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=10)
    assert second.returncode == 0


def test_sighup_reloads_a_valid_configuration_and_keeps_the_old_one_if_invalid(
    tmp_path: Path, soh_site: LocalSite
) -> None:
    config = write_config(
        tmp_path / "config",
        [_source("cleveland", soh_site.url(CLEVELAND_LOG))],
        service={**FAST_SERVICE, "delivery_interval_seconds": 1},
    )
    data = tmp_path / "data"
    sources_file = config / "sources.yaml"
    with _service(config, data) as process:
        _wait_for(lambda: any(r.status == "succeeded" for r in _runs(data)))
        # An invalid edit while the service runs: jobs go on, nothing is re-read until SIGHUP.
        sources_file.write_text("sources:\n  - id: broken\n    platform: police_shh\n", encoding="utf-8")
        time.sleep(2.5)  # two delivery jobs run meanwhile
        process.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        assert process.poll() is None
        # A valid edit, then SIGHUP: the new source is registered.
        sources = [_source("cleveland", soh_site.url(CLEVELAND_LOG)), _source("met", soh_site.url(MET_LOG))]
        sources_file.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
        process.send_signal(signal.SIGHUP)
        _wait_for(lambda: any(r.source_id == "met" for r in _runs(data)))
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    assert "configuration not reloaded, the running one is kept" in output
    assert "unknown platform 'police_shh'" in output
    assert "configuration reloaded: 2 sources" in output
    assert "Traceback" not in output
    app = open_app(config, None, data)
    with app.database.session() as session:
        assert set(session.scalars(select(Source.id))) == {"cleveland", "met"}
    app.database.dispose()
