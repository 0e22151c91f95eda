"""Engines, sessions and migrations.

SQLite (the default) lives in the data directory in WAL mode so the service, a manual crawl and a
crawl subprocess can read while one writes. Any SQLAlchemy URL works; PostgreSQL is tested.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def default_data_dir() -> Path:
    """Where the SQLite database and HTTP cache live: ``FOIWATCH_DATA_DIR`` or ``./data``."""
    return Path(os.environ.get("FOIWATCH_DATA_DIR", "data")).resolve()


def resolve_database_url(url: str | None, data_dir: Path | None = None) -> str:
    """Pick the database URL: explicit, else ``FOIWATCH_DATABASE_URL``, else SQLite in the data dir."""
    if url:
        return url
    env_url = os.environ.get("FOIWATCH_DATABASE_URL")
    if env_url:
        return env_url
    directory = data_dir or default_data_dir()
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{directory / 'foiwatch.sqlite3'}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a generous busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Alembic's migration context is module-global, so two threads (two scheduled jobs starting at
# once) must not migrate together; and a database migrated by this process needs no second look.
_migration_lock = threading.Lock()
_migrated: set[str] = set()


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (run on start and by ``foiwatch db upgrade``)."""
    url = engine.url.render_as_string(hide_password=False)
    with _migration_lock:
        if url in _migrated:
            return
        cfg = alembic_config(url)
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
        _migrated.add(url)


class Database:
    """An engine plus a session factory; migrations applied when opened."""

    def __init__(self, url: str, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
