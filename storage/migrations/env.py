"""Alembic environment: uses the connection handed over by ``storage.db.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from storage.models import Base
from storage.search import is_word_index

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run(conn)
        return
    _run(connection)


def _ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # APScheduler keeps its job table in the same database; it manages that table itself. The search
    # index's word store is written by hand in each database's own terms (storage/search.py).
    return not (type_ == "table" and name == "apscheduler_jobs") and not is_word_index(name, type_)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=_ours,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
