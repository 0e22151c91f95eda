"""Per-host leases: one crawl at a time per host, across processes and machines.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 07:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "host_leases",
        sa.Column("host", sa.String(300), primary_key=True),
        sa.Column("owner", sa.String(300), nullable=False),
        sa.Column("source_id", sa.String(100), nullable=False),
        sa.Column("acquired_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("host_leases")
