"""``foiwatch crawl`` stopped by SIGTERM or Ctrl-C, and what its crawl process shows to other users."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from monitor.demo.localsite import LocalSite
from storage.db import Database
from storage.models import CrawlRun
from tests.conftest import write_config

LOG = "/foi-ai/hung-police/disclosure-log/"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _descendants(pid: int) -> list[int]:
    """Children, grandchildren...: a crawl is forked by foiwatch's fork server, a child of foiwatch."""
    found = _children(pid)
    return found + [grandchild for child in found for grandchild in _descendants(child)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _wait_for_child(pid: int, timeout: float = 60) -> int:
    """The crawl process once it names itself (just after its fork it shows the fork server's name)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in _descendants(pid):
            if "crawler.run" in _cmdline(child):
                return child
        time.sleep(0.1)
    raise AssertionError("the crawl process never started")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_crawl_stops_its_child_and_closes_its_run(
    tmp_path: Path, database_url: str, soh_site: LocalSite, stop: signal.Signals
) -> None:
    soh_site.faults[LOG] = "hang"
    source = {"id": "hung", "platform": "police_soh", "authority": "Hung Police", "url": soh_site.url(LOG)}
    config = write_config(tmp_path / "config", [source], crawler={"download_timeout": 300})
    command = [sys.executable, "-m", "monitor.cli.main", "--config", str(config), "--db", database_url]
    process = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path / "data"), "crawl"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        child = _wait_for_child(process.pid)
        # The database URL (and any password in it) is on no command line foiwatch starts.
        assert "foiwatch crawl hung" in _cmdline(child)
        for started in _descendants(process.pid):
            assert database_url not in _cmdline(started), _cmdline(started)
        time.sleep(1)  # the child is waiting on the hung listing
        process.send_signal(stop)
        output, _ = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, output
    assert "interrupted" in output and "Traceback" not in output
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
    database = Database(database_url, migrate=False)
    try:
        with database.session() as session:
            runs = list(session.scalars(select(CrawlRun)))
    finally:
        database.dispose()
    assert [(r.status, r.error_summary) for r in runs] == [
        ("interrupted", "interrupted: foiwatch was stopped")
    ]
