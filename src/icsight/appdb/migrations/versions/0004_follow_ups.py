"""Worklist follow-ups: the `follow_ups` table (one row per outcome recorded, never changed).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
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
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_code", sa.String(16), nullable=False),
        sa.Column("list_id", sa.String(64), nullable=False),
        sa.Column("patient_id", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("outcome_date", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(254), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_follow_ups"),
    )
    op.create_index("ix_follow_ups_practice_code", "follow_ups", ["practice_code"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_practice_code", "follow_ups")
    op.drop_table("follow_ups")
