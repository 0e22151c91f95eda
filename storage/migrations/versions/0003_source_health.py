"""Source health: per-run listed count, fields filled and problem; admin subscribers; health state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:16:02.320472
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_health",
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("consecutive_bad", sa.Integer(), nullable=False),
        sa.Column("last_problem", sa.Text(), nullable=True),
        sa.Column("bad_since_run_id", sa.Integer(), nullable=True),
        sa.Column("alerted_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bad_since_run_id"],
            ["crawl_runs.id"],
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
        ),
        sa.PrimaryKeyConstraint("source_id"),
    )
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("listed", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("fields_filled", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("health_problem", sa.Text(), nullable=True))

    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admin", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("admin")

    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("health_problem")
        batch_op.drop_column("fields_filled")
        batch_op.drop_column("listed")

    op.drop_table("source_health")
