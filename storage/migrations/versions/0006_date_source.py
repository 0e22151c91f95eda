"""Where a response's date came from: page, listing, url-month or first-seen.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Versions stored before this keep NULL: where their date came from was not recorded.
    with op.batch_alter_table("response_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("date_source", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("response_versions", schema=None) as batch_op:
        batch_op.drop_column("date_source")
