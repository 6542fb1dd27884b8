"""The review inbox: redacted messages the assistant missed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("message_key", sa.String(64), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("reasons", sa.String(128), nullable=False),
        sa.Column("text", sa.String(1000), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("detector", sa.String(200), nullable=False),
        sa.Column("suggested", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("resolution", sa.String(64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(sa.column("status").in_(
            ["open", "assigned", "new_content", "missed_red_flag", "dismissed"]), name="status"),
        sa.UniqueConstraint("message_key", name="uq_inbox_items_message_key"),
    )
    op.create_index(op.f("ix_inbox_items_created_at"), "inbox_items", ["created_at"])


def downgrade() -> None:
    op.drop_table("inbox_items")
