"""Shared fixtures: real databases (SQLite file, and PostgreSQL when configured), local sites, configs."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# pytest-xdist's workers run with COLUMNS=80 in their environment, which the CLI takes as a narrow
# terminal (monitor/cli/common.py): tests see what a script piping the output sees, unless one
# sets COLUMNS itself.
os.environ.pop("COLUMNS", None)

import pytest
import yaml
from sqlalchemy import create_engine, text

from monitor.demo.localsite import LocalSite, Receiver
from storage.db import Database

FIXTURES = Path(__file__).parent / "fixtures"
SOH_SITE = FIXTURES / "police_soh" / "site"
REPO = Path(__file__).resolve().parents[1]
PG_ENV = "FOIWATCH_TEST_DATABASE_URL"


@pytest.fixture(autouse=True, scope="session")
def _scratch_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test, nor a command it runs, touches the user's own data folder (the default one)."""
    before = os.environ.get("FOIWATCH_DATA_DIR")
    os.environ["FOIWATCH_DATA_DIR"] = str(tmp_path_factory.mktemp("default-data-dir"))
    yield
    if before is None:
        os.environ.pop("FOIWATCH_DATA_DIR", None)
    else:
        os.environ["FOIWATCH_DATA_DIR"] = before


def _database_backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


@pytest.fixture(scope="session")
def pg_url() -> str | None:
    """The PostgreSQL URL under test; if it is set but unreachable, tests fail rather than skip."""
    url = os.environ.get(PG_ENV)
    if url:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                connection.execute(text("select 1"))
        except Exception as exc:
            pytest.fail(f"{PG_ENV} is set to {url} but that database cannot be reached: {exc}")
        finally:
            engine.dispose()
    return url


@contextlib.contextmanager
def pg_schema(pg_url: str) -> Iterator[str]:
    """A URL to a throw-away schema in the test PostgreSQL, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=_database_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path, pg_url: str | None) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a throw-away schema in the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'foiwatch.sqlite3'}"
        return
    assert pg_url is not None
    with pg_schema(pg_url) as url:
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def soh_site() -> Iterator[LocalSite]:
    with LocalSite(SOH_SITE) as site:
        yield site


class Mailbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd) keeping every message it is given; ``url`` reaches it."""

    def __init__(self, port: int) -> None:
        self.messages: list[bytes] = []
        self.url = f"mailto://127.0.0.1:{port}?from=foiwatch@example.org&to=desk@example.org&mode=insecure"

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (just now): for a server to start on, or a
    service that does not answer."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    port = free_port()
    box = Mailbox(port)
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def write_config(
    directory: Path,
    sources: list[dict[str, Any]],
    subscribers: list[dict[str, Any]] | None = None,
    crawler: dict[str, Any] | None = None,
    notifications: dict[str, Any] | None = None,
    service: dict[str, Any] | None = None,
    executor: dict[str, Any] | None = None,
) -> Path:
    """A configuration folder for tests: the shipped topics, given sources and subscribers, no delays."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "config" / "topics.yaml", directory / "topics.yaml")
    (directory / "sources.yaml").write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    (directory / "subscribers.yaml").write_text(
        yaml.safe_dump({"subscribers": subscribers or []}), encoding="utf-8"
    )
    settings = {
        "crawler": {
            "contact": "tests@foiwatch.invalid",
            "download_delay": 0,
            "retry_times": 1,
            **(crawler or {}),
        },
        "notifications": {"backoff_base_seconds": 1, "backoff_cap_seconds": 2, **(notifications or {})},
    }
    # port 0: the web pages of `foiwatch run` on any free port, so tests can run side by side
    settings["service"] = {"port": 0, **(service or {})}
    if executor is not None:
        settings["executor"] = executor
    (directory / "settings.yaml").write_text(yaml.safe_dump(settings), encoding="utf-8")
    return directory
