"""The evidence archive: archived_copies, one row per archived fetch of a page or attachment.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archived_copies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=20), nullable=True),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("attachment_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"]),
        sa.ForeignKeyConstraint(["version_id"], ["response_versions.id"]),
        sa.ForeignKeyConstraint(["attachment_id"], ["attachments.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("archived_copies", schema=None) as batch_op:
        for column in ("sha256", "fetched_at", "source_id", "version_id", "attachment_id"):
            batch_op.create_index(batch_op.f(f"ix_archived_copies_{column}"), [column], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archived_copies", schema=None) as batch_op:
        for column in ("sha256", "fetched_at", "source_id", "version_id", "attachment_id"):
            batch_op.drop_index(batch_op.f(f"ix_archived_copies_{column}"))
    op.drop_table("archived_copies")
