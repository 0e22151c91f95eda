"""Storing a response costs the same in a small source and a large one: each look-up it makes is
answered from an index, never by reading the source's responses or versions (checked in the real
engines' query plans, on a source of several thousand responses with statistics gathered)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert

from storage.db import Database
from storage.models import Response, ResponseVersion
from storage.responses import _lookup
from storage.runs import SourceRow, sync_sources

RESPONSES = 4000


def _fill(database: Database) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with database.session() as session:
        sync_sources(session, [SourceRow("big", "police_soh", "A police force", "http://127.0.0.1:9/", True)])
        session.execute(
            insert(Response),
            [
                {
                    "id": i,
                    "source_id": "big",
                    "key": f"{i}/2026",
                    "url": f"http://127.0.0.1:9/r/{i}",
                    "first_seen": now,
                    "last_seen": now,
                    "current_hash": "x" * 64,
                }
                for i in range(1, RESPONSES + 1)
            ],
        )
        session.execute(
            insert(ResponseVersion),
            [
                {
                    "response_id": i,
                    "content_hash": "x" * 64,
                    "authority": "A police force",
                    "title": f"T {i}",
                    "url": f"http://127.0.0.1:9/old/{i}",
                    "first_seen": now,
                    "last_seen": now,
                    "exemptions": [],
                }
                for i in range(1, RESPONSES + 1)
            ],
        )
    database.refresh_statistics()


def _plan(database: Database) -> str:
    params = {"source_id": "big", "key": "17/2026", "url": "http://127.0.0.1:9/new/1"}
    statement = _lookup(True, True).params(**params)
    with database.engine.connect() as connection:
        sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
        explain = "EXPLAIN" if connection.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
        return "\n".join(str(row[-1]) for row in connection.exec_driver_sql(f"{explain} {sql}"))


def test_storing_looks_up_by_index_only(database: Database) -> None:
    _fill(database)
    plan = _plan(database)
    assert "ix_response_versions_url" in plan, plan
    assert "Seq Scan" not in plan and "SCAN response" not in plan, plan
