"""Escalations and callback requests.

Revision ID: 0001
Revises:
Create Date: 2025-11-25
"""
import sqlalchemy as sa
from alembic import op

# Timestamps are naive UTC (see bot.storage.models.UTCDateTime). Plain SQLAlchemy
# types here, never model classes, so this file keeps meaning what it meant.
revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("flags", sa.String(512), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.CheckConstraint(sa.column("tier").in_(["emergency", "urgent", "routine"]), name="tier"),
    )
    op.create_index(op.f("ix_escalations_created_at"), "escalations", ["created_at"])
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("best_time", sa.String(100), nullable=False),
        sa.Column("consent", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(sa.column("consent") == sa.true(), name="consent"),
        sa.CheckConstraint(sa.column("status").in_(["open", "done"]), name="status"),
    )
    op.create_index(op.f("ix_callback_requests_created_at"), "callback_requests", ["created_at"])


def downgrade() -> None:
    op.drop_table("callback_requests")
    op.drop_table("escalations")
