"""Migrations on a real database: the models and the migrated schema agree, reopening is harmless."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from storage.clock import utcnow
from storage.db import Database, alembic_config
from storage.models import Base, Source
from storage.search import is_word_index


def _head(database: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database.url)).get_current_head()


def test_the_migrated_schema_is_what_the_models_describe(database: Database) -> None:
    with database.engine.connect() as connection:
        # the search index's word store is kept outside the models on purpose (storage/search.py)
        opts = {
            "compare_type": True,
            "include_object": lambda _obj, name, type_, _reflected, _to: not is_word_index(name, type_),
        }
        context = MigrationContext.configure(connection, opts=opts)
        assert context.get_current_revision() == _head(database)
        # A model change without a migration shows up here as a non-empty list of operations.
        assert compare_metadata(context, Base.metadata) == []


def test_opening_a_database_twice_is_harmless(database: Database) -> None:
    now = utcnow()
    with database.session() as session:
        session.add(
            Source(
                id="metropolitan-police",
                platform="police_soh",
                authority="Metropolitan Police Service",
                url="https://www.met.police.uk/foi-ai/metropolitan-police/disclosure-log/",
                created_at=now,
                updated_at=now,
            )
        )

    again = Database(database.url)
    try:
        with again.session() as session:
            assert session.scalars(select(Source.authority)).all() == ["Metropolitan Police Service"]
            versions = session.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        again.dispose()
    assert versions == [_head(database)]


def test_sqlite_database_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "foiwatch.sqlite3"
    database = Database(f"sqlite:///{path}")
    try:
        with database.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        database.dispose()
    # WAL is a property of the file, so every other process opening it reads while one writes.
    with closing(sqlite3.connect(path)) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_table_statistics_can_be_refreshed_for_the_planner(database: Database) -> None:
    database.refresh_statistics()
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect() as connection:
            analysed = connection.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                    "AND last_analyze IS NOT NULL"
                )
            ).scalars()
            assert {"responses", "response_versions", "response_index"} <= set(analysed)
