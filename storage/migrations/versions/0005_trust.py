"""Trust: run problems in words, listed-by-run marks, sender ownership of outbox rows, service lock.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_runs.id"]),
        sa.ForeignKeyConstraint(["response_id"], ["responses.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run_problems", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_problems_run_id"), ["run_id"], unique=False)
    op.create_table(
        "service_locks",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_listed_run_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_responses_source_url", ["source_id", "url"], unique=False)
        batch_op.create_foreign_key(
            "fk_responses_last_listed_run", "crawl_runs", ["last_listed_run_id"], ["id"]
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("claimed_by")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_source_url")
        batch_op.drop_constraint("fk_responses_last_listed_run", type_="foreignkey")
        batch_op.drop_column("last_listed_run_id")
    op.drop_table("service_locks")
    with op.batch_alter_table("run_problems", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_problems_run_id"))
    op.drop_table("run_problems")
