"""Where a crawl ran: crawl_runs.node (a Scrapyd node's address; NULL for a local crawl).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Runs recorded before this keep NULL: every crawl then ran beside the service, as local ones do.
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("node", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("node")
