"""Look up response versions by address: ix_response_versions_url (hash on PostgreSQL).

Storing a new response asks whether its address was once another response's; without an index that
read every version of the source, so each new response cost what the source already held.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26 13:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_response_versions_url", "response_versions", ["url"], postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_response_versions_url", table_name="response_versions")
