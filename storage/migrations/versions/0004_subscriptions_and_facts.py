"""Subscriptions people can shape (cadence, source and term filters, updates, mute) and response facts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 21:21:41.628541
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "response_facts",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("vendor_index", sa.Text(), nullable=False),
        sa.Column("extractor_version", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["response_versions.id"],
        ),
        sa.PrimaryKeyConstraint("version_id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_html", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("digest_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_notifications_digest", "notifications", ["digest_id"], ["id"])
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cadence", sa.String(length=20), server_default="immediate", nullable=False)
        )
        batch_op.add_column(sa.Column("sources", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("terms", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("updates", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("muted_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("apprise_config", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("tags")
        batch_op.drop_column("apprise_config")
        batch_op.drop_column("muted_until")
        batch_op.drop_column("updates")
        batch_op.drop_column("terms")
        batch_op.drop_column("sources")
        batch_op.drop_column("cadence")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_constraint("fk_notifications_digest", type_="foreignkey")
        batch_op.drop_column("digest_id")
        batch_op.drop_column("body_html")
    op.drop_table("response_facts")
