"""Runs that failed for a reason not the site's: crawl_runs.executor_failed.

No crawl process could be started, no Scrapyd node took the crawl, or its node was lost during it:
such a run says nothing about the source, whose health it leaves as it was.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Runs recorded before this keep false: their failures were judged as the site's, as they were.
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("executor_failed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs", schema=None) as batch_op:
        batch_op.drop_column("executor_failed")
