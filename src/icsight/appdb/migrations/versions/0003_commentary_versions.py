"""Commentary keeps every version: the `commentary_versions` table, with each commentary
already written copied in as its first version.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
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
        "commentary_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric_id", sa.String(64), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(254), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_commentary_versions"),
        sa.UniqueConstraint("metric_id", "month", "version",
                            name="uq_commentary_versions_metric_id"),
    )
    # What was written before versions were kept becomes version 1, dated when it was last
    # changed: the history starts from what the board has read.
    op.execute("INSERT INTO commentary_versions (metric_id, month, version, author, text, "
               "created_at) SELECT metric_id, month, 1, author, text, updated_at "
               "FROM commentary")


def downgrade() -> None:
    op.drop_table("commentary_versions")
