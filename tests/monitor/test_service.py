"""The service: APScheduler runs repeated crawls in one process; SIGTERM stops it cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from monitor.app import open_app
from monitor.demo.localsite import LocalSite
from monitor.service.scheduler import Service, build_scheduler
from storage.clock import utcnow
from storage.models import CrawlRun
from tests.conftest import write_config

MET_LOG = "/foi-ai/metropolitan-police/disclosure-log/"
CLEVELAND_LOG = "/foi-ai/cleveland-police/disclosure/"


def _wait_for(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


def _sources(site: LocalSite) -> list[dict[str, object]]:
    return [
        {
            "id": "met",
            "platform": "police_soh",
            "authority": "Metropolitan Police Service",
            "url": site.url(MET_LOG),
            "schedule": "every 6 hours",
        },
        {
            "id": "cleveland",
            "platform": "police_soh",
            "authority": "Cleveland Police",
            "url": site.url(CLEVELAND_LOG),
            "schedule": "0 7 * * *",
        },
    ]


def test_scheduler_runs_repeated_crawls_in_one_process(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    config = write_config(tmp_path / "config", _sources(soh_site), service={"jitter_seconds": 0})
    app = open_app(config, database_url, tmp_path / "data")
    service = Service(app, config)
    scheduler = build_scheduler(service)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"crawl:met", "crawl:cleveland", "deliver-notifications", "prune-runs"}
        assert jobs["crawl:met"].max_instances == 1 and jobs["crawl:met"].coalesce
        # Crawls have their own pool: delivery never waits behind them.
        assert jobs["crawl:met"].executor == "crawls" and jobs["deliver-notifications"].executor == "default"

        def finished_runs() -> list[tuple[str, str]]:
            with app.database.session() as session:
                runs = session.scalars(
                    select(CrawlRun).where(CrawlRun.finished_at.is_not(None)).order_by(CrawlRun.id)
                )
                return [(run.source_id, run.status) for run in runs]

        scheduler.resume()
        for job_id in ("crawl:met", "crawl:cleveland"):
            scheduler.modify_job(job_id, next_run_time=utcnow())
        _wait_for(lambda: len(finished_runs()) == 2 and service.idle())
        scheduler.modify_job("crawl:met", next_run_time=utcnow())  # a second crawl in the same process
        _wait_for(lambda: len(finished_runs()) == 3)
    finally:
        scheduler.shutdown(wait=True)
    assert sorted(finished_runs()) == [("cleveland", "succeeded"), ("met", "succeeded"), ("met", "succeeded")]


def test_jobs_survive_a_restart_with_their_next_run_time(tmp_path: Path, soh_site: LocalSite) -> None:
    database_url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
    config = write_config(tmp_path / "config", _sources(soh_site), service={"jitter_seconds": 0})
    app = open_app(config, database_url, tmp_path / "data")
    first = build_scheduler(Service(app, config))
    planned = first.get_job("crawl:cleveland").next_run_time
    first.shutdown(wait=False)
    second = build_scheduler(Service(open_app(config, database_url, tmp_path / "data"), config))
    try:
        assert second.get_job("crawl:cleveland").next_run_time == planned
    finally:
        second.shutdown(wait=False)


def test_sigterm_stops_the_service_cleanly(tmp_path: Path, soh_site: LocalSite) -> None:
    config = write_config(tmp_path / "config", _sources(soh_site), service={"jitter_seconds": 0})
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.main", "--config", str(config), "--data-dir", str(data), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    try:
        _wait_for(lambda: (data / "foiwatch.sqlite3").exists(), timeout=60)
        time.sleep(2)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "received SIGTERM: stopping" in output
    assert "stopped" in output


def test_the_service_serves_the_web_pages_and_reports_itself_healthy(
    tmp_path: Path, soh_site: LocalSite
) -> None:
    import json
    import re
    import threading
    import urllib.request

    config = write_config(tmp_path / "config", _sources(soh_site), service={"jitter_seconds": 0})
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor.cli.main", "--config", str(config), "--data-dir", str(data), "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        text=True,
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True).start()  # type: ignore[union-attr]
    try:
        _wait_for(lambda: any("web pages on http://" in line for line in lines), timeout=60)
        address = re.search(r"web pages on (http://127\.0\.0\.1:\d+)/", "".join(lines)).group(1)  # type: ignore[union-attr]
        with urllib.request.urlopen(f"{address}/healthz", timeout=10) as answer:
            assert answer.status == 200
            assert json.load(answer) == {"status": "ok", "problems": [], "scheduler": "checked"}
        with urllib.request.urlopen(f"{address}/", timeout=10) as answer:
            assert b"Latest" in answer.read()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, "".join(lines)


def test_the_service_refuses_to_start_on_a_web_port_in_use(tmp_path: Path, soh_site: LocalSite) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        config = write_config(tmp_path / "config", _sources(soh_site), service={"port": port})
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor.cli.main",
                "--config",
                str(config),
                "--data-dir",
                str(tmp_path / "d"),
                "run",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2, result.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr and "service.web: false" in result.stderr
    # it gave the database back: a service started now is not refused as "already serving"
    app = open_app(config, None, tmp_path / "d")
    with app.database.session() as session:
        from storage.service_lock import holder

        assert holder(session) is None
    app.database.dispose()
