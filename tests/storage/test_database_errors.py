"""A database that cannot be created, opened or migrated is refused with one clear line.

The line names the file, or host and port, and what to do; it never holds the password.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from storage.db import Database, DatabaseUnavailable, upgrade
from tests.conftest import free_port

SECRET = "s3cret"
URL_EXAMPLES = "use a URL such as sqlite:///path/foiwatch.sqlite3 or postgresql+psycopg://user@host/foiwatch"


def _under_a_file(tmp: Path) -> tuple[str, str]:
    (tmp / "notes.txt").write_text("not a folder", encoding="utf-8")
    db = tmp / "notes.txt" / "db.sqlite3"
    return (
        f"sqlite:///{db}",
        f"cannot create the database at {db}: {tmp / 'notes.txt'} is a file, not a folder",
    )


def _two_levels_under_a_file(tmp: Path) -> tuple[str, str]:
    (tmp / "notes.txt").write_text("not a folder", encoding="utf-8")
    db = tmp / "notes.txt" / "sub" / "db.sqlite3"
    return (
        f"sqlite:///{db}",
        f"cannot create the database at {db}: {tmp / 'notes.txt'} is a file, not a folder",
    )


def _folder_root_cannot_create(_tmp: Path) -> tuple[str, str]:
    # Tests run as root, whom chmod does not stop; nobody, root included, may make a folder in /sys.
    db = "/sys/foiwatch-test/db.sqlite3"
    return (
        f"sqlite:///{db}",
        f"cannot create the database at {db}: permission denied",
    )


def _file_root_cannot_create(_tmp: Path) -> tuple[str, str]:
    # /sys exists, but nobody, root included, may create a file there.
    db = "/sys/foiwatch-test.sqlite3"
    return f"sqlite:///{db}", f"cannot open the database at {db}: permission denied"


def _a_folder(tmp: Path) -> tuple[str, str]:
    return (
        f"sqlite:///{tmp}",
        f"cannot open the database at {tmp}: {tmp} is a folder; name a file in it, such as "
        f"{tmp / 'foiwatch.sqlite3'}",
    )


def _random_bytes(tmp: Path) -> tuple[str, str]:
    db = tmp / "foiwatch.sqlite3"
    db.write_bytes(os.urandom(8192))
    return (
        f"sqlite:///{db}",
        f"{db} is not a SQLite database (or is damaged): restore it from a backup or move it aside",
    )


def _damaged_pages(tmp: Path) -> tuple[str, str]:
    db = tmp / "foiwatch.sqlite3"
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE kept (id INTEGER PRIMARY KEY, body TEXT)")
        connection.executemany("INSERT INTO kept (body) VALUES (?)", [("x" * 500,)] * 50)
    connection.close()
    with db.open("r+b") as file:  # keep the 100-byte header, overwrite the schema page
        file.seek(100)
        file.write(os.urandom(3900))
    return (
        f"sqlite:///{db}",
        f"{db} is not a SQLite database (or is damaged): restore it from a backup or move it aside",
    )


def _refused_with_password(_tmp: Path) -> tuple[str, str]:
    port = free_port()
    return (
        f"postgresql+psycopg://foiwatch:{SECRET}@127.0.0.1:{port}/foiwatch",
        f"cannot connect to the database at 127.0.0.1:{port}/foiwatch: Connection refused; "
        "check the server and --db",
    )


def _not_a_url(_tmp: Path) -> tuple[str, str]:
    return f"foiwatch:{SECRET}", f"the database URL is not valid: {URL_EXAMPLES}"


def _unknown_type(_tmp: Path) -> tuple[str, str]:
    return f"oracel://u:{SECRET}@db.example.org/x", f"unknown database type 'oracel': {URL_EXAMPLES}"


def _driver_missing(_tmp: Path) -> tuple[str, str]:
    return (
        f"mysql://u:{SECRET}@db.example.org/x",
        f"the mysql driver 'MySQLdb' is not installed: install it, or {URL_EXAMPLES}",
    )


CASES: dict[str, Callable[[Path], tuple[str, str]]] = {
    "sqlite-under-a-file": _under_a_file,
    "sqlite-two-levels-under-a-file": _two_levels_under_a_file,
    "folder-root-cannot-create": _folder_root_cannot_create,
    "file-root-cannot-create": _file_root_cannot_create,
    "sqlite-path-is-a-folder": _a_folder,
    "sqlite-random-bytes": _random_bytes,
    "sqlite-damaged-pages": _damaged_pages,
    "postgresql-refused": _refused_with_password,
    "not-a-url": _not_a_url,
    "unknown-database-type": _unknown_type,
    "driver-missing": _driver_missing,
}


@pytest.mark.parametrize("case", CASES)
def test_opening_an_unusable_database_says_why_in_one_line(tmp_path: Path, case: str) -> None:
    url, expected = CASES[case](tmp_path)
    with pytest.raises(DatabaseUnavailable) as caught:
        Database(url)
    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message
    assert SECRET not in message


def test_an_unwritable_folder_suggests_another_place() -> None:
    """As root, /sys is the one place a folder cannot be made (chmod stops nobody)."""
    with pytest.raises(DatabaseUnavailable, match=r"permission denied.*; choose another --data-dir or --db$"):
        Database("sqlite:////sys/foiwatch-test/db.sqlite3")


def _stamp_newer_revision(url: str) -> None:
    """A database as a newer foiwatch leaves it: stamped with a revision this one does not know."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('abc123')"))
    engine.dispose()


@pytest.mark.parametrize("migrate_on_open", [True, False], ids=["on-open", "db-upgrade"])
def test_a_database_from_a_newer_foiwatch_is_refused_and_left_alone(
    database_url: str, migrate_on_open: bool
) -> None:
    _stamp_newer_revision(database_url)
    with pytest.raises(DatabaseUnavailable) as caught:
        if migrate_on_open:
            Database(database_url)
        else:
            upgrade(Database(database_url, migrate=False).engine)
    message = str(caught.value)
    assert message.startswith("the database at ")
    assert message.endswith("was upgraded by a newer foiwatch (revision abc123); upgrade foiwatch")
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == ["alembic_version"]
    finally:
        engine.dispose()
