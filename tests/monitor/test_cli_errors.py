"""The real ``foiwatch`` command refuses a bad setup with one clear message and exit status 2.

Each case runs ``python -m monitor.cli.main`` in a subprocess, so the exit status and stderr are what an
operator (or systemd) sees; none of them may show a traceback or a password.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.storage.test_database_errors import _random_bytes, _refused_with_password, _under_a_file

SECRET = "s3cret"
SCHEDULE_FIX = "fix: use a 5-field cron expression such as '0 6 * * *' or 'every 6 hours'"
MET = {
    "id": "met",
    "platform": "police_soh",
    "authority": "Metropolitan Police",
    "url": "https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-log/",
}
COMMANDS = [["run"], ["crawl"], ["db", "upgrade"], ["sources", "list"]]


def _foiwatch(*args: str) -> subprocess.CompletedProcess[str]:
    # A timeout, because a `run` that wrongly starts would serve until stopped.
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _newer(tmp: Path) -> tuple[str, str]:
    db = tmp / "foiwatch.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('abc123')")
    connection.close()
    return (
        f"sqlite:///{db}",
        f"the database at {db} was upgraded by a newer foiwatch (revision abc123); upgrade foiwatch",
    )


DATABASE_PROBLEMS: dict[str, Callable[[Path], tuple[str, str]]] = {
    "under-a-file": _under_a_file,
    "corrupted": _random_bytes,
    "newer-foiwatch": _newer,
    "postgresql-refused": _refused_with_password,
}


@pytest.mark.parametrize("problem", DATABASE_PROBLEMS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_database_problem_is_one_line_and_exit_status_2(
    tmp_path: Path, command: list[str], problem: str
) -> None:
    config = write_config(tmp_path / "config", [MET])
    url, message = DATABASE_PROBLEMS[problem](tmp_path)
    result = _foiwatch("--config", str(config), "--data-dir", str(tmp_path / "data"), "--db", url, *command)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [f"database error: {message}"]
    assert SECRET not in result.stdout + result.stderr


def test_a_data_folder_under_a_file_is_a_database_error(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", [MET])
    (tmp_path / "notes.txt").write_text("not a folder", encoding="utf-8")
    data = tmp_path / "notes.txt" / "data"
    result = _foiwatch("--config", str(config), "--data-dir", str(data), "sources", "list")
    assert result.returncode == 2
    blocker = tmp_path / "notes.txt"
    assert result.stderr.strip().splitlines() == [
        f"database error: cannot create the data folder {data}: {blocker} is a file, not a folder"
    ]


def _schedule(config: Path) -> tuple[str, int, list[str]]:
    (config / "sources.yaml").write_text(
        "sources:\n  - id: met\n    platform: police_soh\n    authority: Met\n"
        f"    url: {MET['url']}\n    schedule: '61 * * * *'\n",
        encoding="utf-8",
    )
    return "sources.yaml", 6, ["minute '61' is not valid (minute takes 0-59)", SCHEDULE_FIX]


def _default_schedule(config: Path) -> tuple[str, int, list[str]]:
    (config / "settings.yaml").write_text("service:\n  default_schedule: every 0 hours\n", encoding="utf-8")
    return "settings.yaml", 2, ["the interval must be at least 1 hour", SCHEDULE_FIX]


def _duplicate_id(config: Path) -> tuple[str, int, list[str]]:
    entry = f"  - id: met\n    platform: police_soh\n    authority: Met\n    url: {MET['url']}\n"
    (config / "sources.yaml").write_text(f"sources:\n{entry}{entry}", encoding="utf-8")
    return (
        "sources.yaml",
        6,
        ["source id 'met' appears twice (first at line 2)", "fix: give each source a unique id"],
    )


def _bad_url(config: Path) -> tuple[str, int, list[str]]:
    (config / "subscribers.yaml").write_text(
        f"subscribers:\n  - name: desk\n    urls:\n      - json://127.0.0.1:9/\n      - discord://{SECRET}\n",
        encoding="utf-8",
    )
    return (
        "subscribers.yaml",
        5,
        ["url discord://**** is not a discord:// URL apprise can read", "fix: write it"],
    )


CONFIG_PROBLEMS: dict[str, Callable[[Path], tuple[str, int, list[str]]]] = {
    "cron-out-of-range": _schedule,
    "default-schedule-zero": _default_schedule,
    "duplicate-source-id": _duplicate_id,
    "unreadable-apprise-url": _bad_url,
}


@pytest.mark.parametrize("problem", CONFIG_PROBLEMS)
@pytest.mark.parametrize("command", [["run"], ["crawl"]], ids=" ".join)
def test_a_config_problem_names_file_line_and_fix_with_exit_status_2(
    tmp_path: Path, command: list[str], problem: str
) -> None:
    config = write_config(tmp_path / "config", [MET])
    file, line, words = CONFIG_PROBLEMS[problem](config)
    result = _foiwatch("--config", str(config), "--data-dir", str(tmp_path / "data"), *command)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"configuration error: {config / file}:{line}: ")
    for word in words:
        assert word in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"slack://{SECRET}", "url slack://**** is not a slack:// URL apprise can read"),
        (f"slak://user:{SECRET}@hooks.example.org/", "url slak://**** names a service apprise does not know"),
        (f"{SECRET}@example.org", "a url is not an apprise URL (it has no 'scheme://' part)"),
    ],
    ids=["unreadable", "unknown-scheme", "no-scheme"],
)
def test_subscribers_add_refuses_a_url_apprise_cannot_use(tmp_path: Path, url: str, problem: str) -> None:
    config = write_config(tmp_path / "config", [MET])
    base = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    result = _foiwatch(*base, "subscribers", "add", "nat", "--url", "json://127.0.0.1:9/", "--url", url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: invalid --url: {problem}; fix: ")
    assert SECRET not in result.stdout + result.stderr
    assert "nat" not in _foiwatch(*base, "subscribers", "list").stdout


def test_subscribers_add_accepts_a_url_apprise_can_use(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", [MET])
    base = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
    result = _foiwatch(*base, "subscribers", "add", "nat", "--url", "json://127.0.0.1:9")
    assert result.returncode == 0, result.stderr
    assert "nat" in _foiwatch(*base, "subscribers", "list").stdout
