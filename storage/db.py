"""Engines, sessions and migrations.

SQLite (the default) lives in the data folder in WAL mode so the service, a manual crawl and a
crawl subprocess can read while one writes. Any SQLAlchemy URL works; PostgreSQL is tested.

The data folder is the user's own (``~/.local/share/foiwatch`` on Linux, the platform's convention
elsewhere) unless ``--data-dir`` or ``FOIWATCH_DATA_DIR`` names another, so a command run from any
folder finds the same database.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from platformdirs import user_data_dir
from sqlalchemy import Connection, CursorResult, Engine, Result, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
URL_EXAMPLES = "sqlite:///path/foiwatch.sqlite3 or postgresql+psycopg://user@host/foiwatch"
_ELSEWHERE = "choose another --data-dir or --db"
_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
log = logging.getLogger(__name__)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be created, opened or migrated.

    ``str()`` is one line fit to show the operator as is: what is wrong and what to do, naming the
    file or host and port but never the password.
    """


def _os_reason(path: Path, exc: OSError) -> str:
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        return f"{blocker} is a file, not a folder"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied; {_ELSEWHERE}"
    if exc.errno == errno.EROFS:
        return f"permission denied (read-only file system); {_ELSEWHERE}"
    return f"{exc.strerror or exc} ({exc.filename or path}); {_ELSEWHERE}"


def make_folder(directory: Path, purpose: str) -> None:
    """Create ``directory`` and its parents for ``purpose`` (e.g. "the data folder /srv/foiwatch").

    Raises ``DatabaseUnavailable`` saying why it cannot be created.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot create {purpose}: {_os_reason(directory, exc)}") from exc


class NoDatabaseYet(RuntimeError):
    """A command that only reads found no database where it looked; ``str()`` says where and what
    to do. Nothing was created."""


def default_data_dir() -> Path:
    """Where the SQLite database, HTTP cache and crawl logs live: ``FOIWATCH_DATA_DIR`` if set, else
    the user's data folder (``platformdirs.user_data_dir("foiwatch")``: ``~/.local/share/foiwatch`` on
    Linux, ``~/Library/Application Support/foiwatch`` on macOS, ``%LOCALAPPDATA%\\foiwatch`` on
    Windows), wherever the command is run from."""
    chosen = os.environ.get("FOIWATCH_DATA_DIR")
    return Path(chosen or user_data_dir("foiwatch", appauthor=False)).expanduser().resolve()


def choose_database_url(url: str | None, data_dir: Path | None = None) -> str:
    """The database URL: explicit, else ``FOIWATCH_DATABASE_URL``, else SQLite in the data folder.
    Nothing is created."""
    if url:
        return url
    env_url = os.environ.get("FOIWATCH_DATABASE_URL")
    if env_url:
        return env_url
    directory = data_dir or default_data_dir()
    return f"sqlite:///{directory / 'foiwatch.sqlite3'}"


def resolve_database_url(url: str | None, data_dir: Path | None = None) -> str:
    """``choose_database_url``, creating the data folder when the database is SQLite in it."""
    if not url and not os.environ.get("FOIWATCH_DATABASE_URL"):
        directory = data_dir or default_data_dir()
        make_folder(directory, f"the data folder {directory}")
    return choose_database_url(url, data_dir)


def missing_database(url: str) -> str | None:
    """Where a SQLite database that does not exist yet would be; None when it exists (or is not a
    SQLite file: a server's database is there or not, and connecting says so)."""
    parsed = _parse_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    existing = next(p for p in (path, *path.parents) if p.exists())
    # Under a file, or a folder that cannot be entered: not "missing", opening it says what is wrong.
    return str(path) if existing != path and existing.is_dir() else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a generous busy timeout.

    Raises ``DatabaseUnavailable`` for a URL that is not one, a database type or driver that is not
    installed, or a SQLite file whose folder cannot be created. Nothing is connected yet.
    """
    parsed = _parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                database = Path(parsed.database)
                make_folder(database.parent, f"the database at {database}")
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise DatabaseUnavailable(
            f"the {parsed.get_backend_name()} driver {exc.name!r} is not installed: install it, "
            f"or use a URL such as {URL_EXAMPLES}"
        ) from exc


def _parse_url(url: str) -> URL:
    # The URL itself is never repeated: one that does not parse may still hold a password.
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"the database URL is not valid: use a URL such as {URL_EXAMPLES}") from exc
    try:
        parsed.get_dialect()
    except NoSuchModuleError as exc:
        raise DatabaseUnavailable(
            f"unknown database type {parsed.drivername!r}: use a URL such as {URL_EXAMPLES}"
        ) from exc
    return parsed


def _location(url: URL) -> str:
    """Where the database is, for messages: the SQLite file, or host:port/name (no password)."""
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    port = url.port or _DEFAULT_PORTS.get(url.get_backend_name())
    host = url.host or "localhost"
    return f"{host}:{port}/{url.database or ''}" if port else f"{host}/{url.database or ''}"


def without_password(url: str) -> str:
    """The URL with its password shown as ``***``: names a database without giving its secret away."""
    return _parse_url(url).render_as_string(hide_password=True)


def _sqlite_open_reason(path: Path) -> str:
    # SQLite only says "unable to open database file"; opening it ourselves gets the real reason.
    if path.is_dir():
        return f"{path} is a folder; name a file in it, such as {path / 'foiwatch.sqlite3'}"
    try:
        with path.open("ab"):
            pass
    except OSError as exc:
        return _os_reason(path, exc)
    return f"SQLite cannot open it; {_ELSEWHERE}"


def _explain(url: URL, exc: Exception) -> DatabaseUnavailable:
    """One line saying why the database at ``url`` cannot be used, without its password."""
    detail = str(exc.orig if isinstance(exc, DBAPIError) else exc).strip().splitlines()[0]
    where = _location(url)
    if url.get_backend_name() == "sqlite":
        if "file is not a database" in detail or "malformed" in detail:
            message = (
                f"{where} is not a SQLite database (or is damaged): restore it from a backup or move it aside"
            )
        elif "unable to open database file" in detail:
            message = f"cannot open the database at {where}: {_sqlite_open_reason(Path(where))}"
        else:
            message = f"cannot use the database at {where}: {detail}"
    elif isinstance(exc, DBAPIError) and exc.statement is None:
        # psycopg says 'connection failed: connection to server at "h", port p failed: <why>'
        reason = detail.rsplit("failed: ", 1)[-1]
        message = f"cannot connect to the database at {where}: {reason}; check the server and --db"
    else:
        message = f"the database at {where} failed: {detail}"
    if url.password:
        message = message.replace(str(url.password), "****")
    return DatabaseUnavailable(message)


def alembic_config(url: str) -> AlembicConfig:
    # Alembic is imported only when migrating: every crawl process opens the database without it.
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


# Alembic's migration context is module-global, so two threads (two scheduled jobs starting at
# once) must not migrate together; and a database migrated by this process needs no second look.
_migration_lock = threading.Lock()
_migrated: set[str] = set()


def upgrade(engine: Engine) -> None:
    """Apply every pending migration (run on start and by ``foiwatch db upgrade``).

    Raises ``DatabaseUnavailable`` when the database cannot be reached, is damaged, or was
    migrated by a newer foiwatch.
    """
    url = engine.url.render_as_string(hide_password=False)
    with _migration_lock:
        if url in _migrated:
            return
        cfg = alembic_config(url)
        try:
            with engine.begin() as connection:
                _refuse_unknown_revisions(connection, cfg)
                cfg.attributes["connection"] = connection
                from alembic import command

                command.upgrade(cfg, "head")
        except (SQLAlchemyError, OSError) as exc:
            log.debug("cannot open the database", exc_info=True)  # the traceback, for -v
            raise _explain(engine.url, exc) from exc
        _migrated.add(url)


def _refuse_unknown_revisions(connection: Connection, cfg: AlembicConfig) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    # Alembic would fail with "Can't locate revision": say what that means for the operator.
    known = {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    unknown = [revision for revision in current if revision not in known]
    if unknown:
        raise DatabaseUnavailable(
            f"the database at {_location(connection.engine.url)} was upgraded by a newer foiwatch "
            f"(revision {', '.join(unknown)}); upgrade foiwatch"
        )


# The tables whose statistics the hot queries depend on.
PLANNED_TABLES = (
    "responses",
    "response_versions",
    "response_index",
    "topic_matches",
    "attachments",
    "crawl_runs",
    "notifications",
    "archived_copies",
)


class Database:
    """An engine plus a session factory; migrations applied when opened.

    Opening raises ``DatabaseUnavailable`` (one line, no password) when the database cannot be
    created, reached or migrated.
    """

    def __init__(self, url: str, migrate: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        # for messages: the SQLite file, or host:port/name; never the password
        self.location = _location(self.engine.url)
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

    def refresh_statistics(self) -> None:
        """Let the query planner see the tables as they are now (after migrations, and daily).

        PostgreSQL plans the diff's and the search's queries from table statistics; on a database
        filled faster than autovacuum catches up, stale statistics made an unchanged re-crawl 4x
        slower (issue 10). SQLite gets ``PRAGMA optimize``, which is cheap when nothing changed.
        """
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"ANALYZE {', '.join(PLANNED_TABLES)}"))
            else:
                connection.execute(text("PRAGMA optimize"))

    def problem(self) -> str | None:
        """None when the database answers with foiwatch's tables in it; otherwise why not, in words.

        A SQLite file that was deleted or moved counts as gone even while an open connection can
        still read the old file, and a database without foiwatch's tables is not foiwatch's.
        """
        url = self.engine.url
        file = url.database if url.get_backend_name() == "sqlite" and url.database != ":memory:" else None
        if file and not Path(file).exists():
            return f"the database file {file} is gone"
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT version_num FROM alembic_version"))
        except SQLAlchemyError as exc:
            return str(_explain(url, exc))
        return None

    def dispose(self) -> None:
        self.engine.dispose()


_shared: dict[str, Database] = {}


def shared_database(url: str, migrate: bool = False) -> Database:
    """This process's one ``Database`` for ``url``: a crawl's spider, pipeline and extensions share
    its engine (one connection pool and one cache of compiled statements, not one of each).

    ``dispose`` leaves it usable: a later session connects again.
    """
    database = _shared.get(url)
    if database is None:
        database = _shared[url] = Database(url, migrate=migrate)
    elif migrate:
        upgrade(database.engine)
    return database


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed (SQLAlchemy types ``execute`` as a plain ``Result``)."""
    return cast(CursorResult[Any], result).rowcount
