"""Full-text search and the read side's filters: response_index, with FTS5 (SQLite) or tsvector (PostgreSQL).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 07:20:00

The index is derived data: the migration builds it from the stored responses, and
``storage.search.refresh_index`` keeps it in step afterwards (``foiwatch db reindex`` rebuilds it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from storage.models import UTCDateTime
from storage.search import create_word_index, drop_word_index, refresh_index

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "response_index",
        sa.Column(
            "response_id",
            sa.Integer(),
            sa.ForeignKey("responses.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("authority", sa.String(300), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("date_source", sa.String(20), nullable=True),
        sa.Column("outcome", sa.String(40), nullable=True),
        sa.Column("topics", sa.Text(), nullable=False),
        sa.Column("exemptions", sa.Text(), nullable=False),
        sa.Column("vendors", sa.Text(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    for column in ("source_id", "authority", "published", "updated_at"):
        op.create_index(f"ix_response_index_{column}", "response_index", [column])
    connection = op.get_bind()
    create_word_index(connection)
    with Session(bind=connection) as session:
        refresh_index(session)
        session.flush()


def downgrade() -> None:
    drop_word_index(op.get_bind())
    op.drop_table("response_index")
