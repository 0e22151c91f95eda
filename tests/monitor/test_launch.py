"""Crawls forked from the fork server (monitor.service.launch): what a crawl that fails to start,
a fork server killed mid-crawl and a fork server killed between crawls leave behind."""

from __future__ import annotations

import multiprocessing.forkserver
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from monitor.app import open_app
from monitor.demo.localsite import LocalSite
from monitor.service.crawls import crawl_source
from monitor.service.launch import CrawlProcess
from tests.conftest import write_config

LOG = "/foi-ai/metropolitan-police/disclosure-log/"
HUNG = "/foi-ai/hung-police/disclosure-log/"


def _fork_server_pid() -> int | None:
    return multiprocessing.forkserver._forkserver._forkserver_pid  # type: ignore[attr-defined]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _named(name: str) -> list[int]:
    """Processes whose command line (as ps shows it) holds ``name``."""
    return [
        int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit() and name in _cmdline(int(e.name))
    ]


def test_a_job_that_cannot_start_exits_3_and_says_why_in_its_log(tmp_path: Path) -> None:
    log = tmp_path / "broken.log"
    process = CrawlProcess({"source_id": "broken", "source": {"id": "broken"}}, log)
    process.start()
    assert process.wait(timeout=60) == 3
    text = log.read_text()
    assert "the crawl of broken failed" in text and "ValidationError" in text


def test_a_fork_server_killed_mid_crawl_fails_that_run_and_the_next_crawl_starts_a_new_one(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    soh_site.faults[HUNG] = "hang"
    sources = [
        {"id": "hung", "platform": "police_soh", "authority": "Hung Police", "url": soh_site.url(HUNG)},
        {"id": "met", "platform": "police_soh", "authority": "Metropolitan Police", "url": soh_site.url(LOG)},
    ]
    config = write_config(tmp_path / "config", sources, crawler={"download_timeout": 300})
    app = open_app(config, database_url, tmp_path / "data")
    try:
        # A first crawl so the fork server is up, then the hung one, and the server killed under it.
        crawl_source(app.database, app.config, app.config.source("met"), app.data_dir, "full")
        server = _fork_server_pid()
        assert server is not None
        started = time.monotonic()

        seen: list[str] = []

        def kill_server() -> None:
            time.sleep(2)  # the crawl is waiting on the hung listing
            seen.extend(_cmdline(pid) for pid in _named("foiwatch crawl hung"))
            os.kill(server, signal.SIGKILL)

        killer = threading.Thread(target=kill_server)
        killer.start()
        hung = crawl_source(app.database, app.config, app.config.source("hung"), app.data_dir, "full")
        killer.join()
        # ps shows the crawl by its source, and never its job (the database URL may hold a password).
        assert seen and all(database_url not in line for line in seen), seen
        assert hung.status == "failed" and time.monotonic() - started < 60
        # multiprocessing says 255 for a child whose fork server died; the kernel killed the child
        # (PR_SET_PDEATHSIG) as its parent, the fork server, died.
        assert "exited with status 255" in (hung.error or ""), hung.error
        # The service hears of the death as the server's socket closes, a moment before the kernel
        # signals its children: the crawl has that moment to go.
        give_up = time.monotonic() + 10
        while _named("foiwatch crawl hung") and time.monotonic() < give_up:
            time.sleep(0.05)
        assert not _named("foiwatch crawl hung"), "the hung crawl outlived its fork server"
        # Killed between crawls, too: the next crawl starts a new fork server and succeeds.
        again = crawl_source(app.database, app.config, app.config.source("met"), app.data_dir, "full")
        assert again.status == "succeeded", again.error
        assert _fork_server_pid() not in (None, server)
    finally:
        app.database.dispose()


def test_a_crawl_that_cannot_start_fails_its_run_with_the_cause_and_the_next_one_runs(
    tmp_path: Path, database_url: str, soh_site: LocalSite
) -> None:
    source = {
        "id": "met",
        "platform": "police_soh",
        "authority": "Metropolitan Police",
        "url": soh_site.url(LOG),
    }
    app = open_app(write_config(tmp_path / "config", [source]), database_url, tmp_path / "data")
    try:
        (tmp_path / "data" / "logs").unlink(missing_ok=True)
        (tmp_path / "data" / "logs").write_text("a file where the crawl logs' folder should be")
        failed = crawl_source(app.database, app.config, app.config.source("met"), app.data_dir, "full")
        assert failed.status == "failed", failed.in_words()
        assert "the crawl process could not be started: FileExistsError" in (failed.error or ""), failed.error
        (tmp_path / "data" / "logs").unlink()
        again = crawl_source(app.database, app.config, app.config.source("met"), app.data_dir, "full")
        assert again.status == "succeeded" and again.items > 0, again.error
    finally:
        app.database.dispose()


MAIN_SCRIPT = """
import os
import sys

sys.path.insert(0, {root!r})
with open({marks!r}, "a") as marks:
    marks.write(f"{{os.getpid()}}\\n")

from monitor.service.launch import _fork_server


def nothing() -> None:
    pass


if __name__ == "__main__":
    for _ in range(3):
        child = _fork_server().Process(target=nothing)
        child.start()
        child.join(60)
        assert child.exitcode == 0, child.exitcode
"""


def test_a_main_script_runs_once_in_the_fork_server_not_again_in_each_crawl(tmp_path: Path) -> None:
    """multiprocessing runs the main script again in each child; the fork server runs it once
    for them all (``foiwatch run`` paid about 0.2 s of CPU per crawl importing its CLI)."""
    marks = tmp_path / "marks"
    script = tmp_path / "crawls.py"
    script.write_text(MAIN_SCRIPT.format(root=str(Path(__file__).parents[2]), marks=str(marks)))
    subprocess.run([sys.executable, str(script)], check=True, timeout=120, cwd=tmp_path)
    runs = marks.read_text().split()
    assert len(runs) == 2, f"the script ran {len(runs)} times: in the parent, the server and each child"
