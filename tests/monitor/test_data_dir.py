"""The data folder: the user's own by default, the same from any folder; reading creates nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import default_data_dir
from tests.conftest import REPO, write_config


def _env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user with no FOIWATCH_DATA_DIR, whose data folder is under tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in ("FOIWATCH_DATA_DIR", "FOIWATCH_DATABASE_URL")}
    return {**env, "XDG_DATA_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path / "home")}


def _foiwatch(tmp_path: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "monitor.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**_env(tmp_path), "PYTHONPATH": str(REPO)},
    )


def test_the_default_is_the_users_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOIWATCH_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == (tmp_path / "xdg" / "foiwatch").resolve()
    monkeypatch.setenv("FOIWATCH_DATA_DIR", str(tmp_path / "chosen"))
    assert default_data_dir() == (tmp_path / "chosen").resolve()


def test_reading_where_there_is_no_database_creates_none_and_says_where(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", [])
    result = _foiwatch(tmp_path, tmp_path / "elsewhere", "--config", str(config), "responses", "list")
    expected = tmp_path / "xdg" / "foiwatch" / "foiwatch.sqlite3"
    assert result.returncode == 1, result.stderr
    assert f"no database at {expected} yet: run `foiwatch crawl`" in result.stderr
    assert "--data-dir" in result.stderr
    assert not expected.exists() and not (tmp_path / "elsewhere" / "data").exists()


def test_commands_run_from_different_folders_share_one_database(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", [])
    made = _foiwatch(tmp_path, tmp_path / "one", "--config", str(config), "db", "upgrade")
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "xdg" / "foiwatch" / "foiwatch.sqlite3").exists()
    status = _foiwatch(tmp_path, tmp_path / "two", "--config", str(config), "status")
    assert status.returncode == 0, status.stderr
    assert f"data: {tmp_path / 'xdg' / 'foiwatch'}" in status.stdout
    assert "holds no crawls yet" in status.stderr  # an empty database is pointed out, not shown silently
    assert not (tmp_path / "two" / "data").exists()


def test_make_run_and_make_demo_keep_the_checkout_data_folder() -> None:
    planned = subprocess.run(["make", "-n", "run", "demo"], capture_output=True, text=True, cwd=REPO)
    commands = [line for line in planned.stdout.splitlines() if "bin/foiwatch" in line]
    assert commands == [
        ".venv/bin/foiwatch --data-dir data run",
        ".venv/bin/foiwatch --data-dir data/demo demo",
    ]


def test_the_demo_starts_its_own_folder_afresh_and_never_clears_another(tmp_path: Path) -> None:
    import click

    from monitor.demo.run import DEMO_MARK, fresh_demo_folder

    demo = tmp_path / "demo"
    fresh_demo_folder(demo)
    (demo / "foiwatch.sqlite3").write_bytes(b"an earlier demo")
    (demo / "logs").mkdir()
    fresh_demo_folder(demo)
    assert (demo / DEMO_MARK).exists() and not (demo / "foiwatch.sqlite3").exists()
    assert not (demo / "logs").exists()

    theirs = tmp_path / "data"
    theirs.mkdir()
    (theirs / "foiwatch.sqlite3").write_bytes(b"months of crawls")
    with pytest.raises(click.ClickException, match="not the demo's"):
        fresh_demo_folder(theirs)
    assert (theirs / "foiwatch.sqlite3").read_bytes() == b"months of crawls"


def test_the_demos_browse_hint_follows_the_service_settings(tmp_path: Path) -> None:
    from monitor.demo.run import browse_hint

    config = write_config(tmp_path / "config", [], service={"host": "0.0.0.0", "port": 9090})
    hint = browse_hint(tmp_path / "demo", config)
    assert f"foiwatch --config {config} --data-dir {tmp_path / 'demo'} serve" in hint
    assert hint.endswith("then open http://127.0.0.1:9090/")  # every interface includes this machine
    assert "foiwatch --data-dir DIR demo" in browse_hint(None)
