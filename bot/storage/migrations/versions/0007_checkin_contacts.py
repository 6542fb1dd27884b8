"""The contact address a patient's check-ins are sent to after a restart, kept with their consent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

# Plain SQLAlchemy types here, never model classes, so this file keeps meaning what it meant.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkin_contacts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.UniqueConstraint("sender_hash", name="uq_checkin_contacts_sender_hash"),
    )
    op.create_index(op.f("ix_checkin_contacts_created_at"), "checkin_contacts", ["created_at"])


def downgrade() -> None:
    op.drop_table("checkin_contacts")
