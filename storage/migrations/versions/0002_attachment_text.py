"""Attachments keep their content type, size and extracted text (or why it could not be read).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 20:05:35.040958
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_type", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("error")
        batch_op.drop_column("text")
        batch_op.drop_column("size")
        batch_op.drop_column("content_type")
