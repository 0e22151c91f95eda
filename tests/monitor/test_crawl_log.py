"""One log line when a crawl starts and one when it ends, with the cause in words; JSON on request."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from monitor.demo.localsite import LocalSite
from tests.conftest import write_config

MET_LOG = "/foi-ai/metropolitan-police/disclosure-log/"


def _crawl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", *args, "crawl"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_crawl_logs_one_line_as_it_starts_and_one_as_it_ends(tmp_path: Path, soh_site: LocalSite) -> None:
    source = {"id": "met", "platform": "police_soh", "authority": "Met", "url": soh_site.url(MET_LOG)}
    config = write_config(tmp_path / "config", [source])
    result = _crawl("--config", str(config), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "crawl of met" in line]
    assert len(lines) == 2, result.stderr
    assert lines[0].endswith("INFO monitor.service.crawls: crawl of met started (full)")
    assert re.search(
        r"crawl of met finished: succeeded, 12 items, \d+ new, 0 changed, 0 withdrawn in \d+ s$", lines[1]
    ), lines[1]


def test_a_failed_crawl_logs_its_cause_in_words_as_json(tmp_path: Path) -> None:
    port = _dead_port()
    source = {
        "id": "gone",
        "platform": "police_soh",
        "authority": "Gone",
        "url": f"http://127.0.0.1:{port}/x/",
    }
    config = write_config(tmp_path / "config", [source])
    (config / "settings.yaml").write_text(
        (config / "settings.yaml").read_text(encoding="utf-8") + "logging: {format: json}\n", encoding="utf-8"
    )
    result = _crawl("--config", str(config), "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert records and len(records) == len(result.stderr.splitlines()), result.stderr  # every line JSON
    crawl_lines = [r for r in records if r.get("source") == "gone"]
    assert len(crawl_lines) == 2, records
    assert crawl_lines[0]["message"] == "crawl of gone started (full)"
    assert re.fullmatch(
        rf"crawl of gone finished: failed: connection refused by 127\.0\.0\.1:{port} in \d+ s",
        crawl_lines[1]["message"],
    ), crawl_lines[1]
    end = crawl_lines[1]
    assert end["level"] == "ERROR" and end["logger"] == "monitor.service.crawls"
    assert end["status"] == "failed" and isinstance(end["run_id"], int) and "time" in end
    assert "Error" not in end["message"]


def test_the_command_line_format_wins_over_the_settings(tmp_path: Path) -> None:
    source = {
        "id": "gone",
        "platform": "police_soh",
        "authority": "Gone",
        "url": f"http://127.0.0.1:{_dead_port()}/x/",
    }
    config = write_config(tmp_path / "config", [source])
    result = _crawl("--config", str(config), "--data-dir", str(tmp_path / "data"), "--log-format", "json")
    assert result.returncode == 1
    assert all(json.loads(line)["message"] for line in result.stderr.splitlines()), result.stderr
