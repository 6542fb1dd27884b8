"""Planned check-ins, kept in the database so a restart of the Rasa server loses none.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

# Plain SQLAlchemy types here, never model classes, so this file keeps meaning what it meant.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recovery_checkins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("sender_hash", "day", name="uq_recovery_checkins_day"),
    )
    op.create_index(op.f("ix_recovery_checkins_created_at"), "recovery_checkins", ["created_at"])
    op.create_index(op.f("ix_recovery_checkins_due_at"), "recovery_checkins", ["due_at"])


def downgrade() -> None:
    op.drop_table("recovery_checkins")
