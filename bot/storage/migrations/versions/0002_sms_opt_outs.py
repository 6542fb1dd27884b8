"""SMS and WhatsApp numbers that sent STOP (hashed).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("channel", "sender_hash", name="uq_sms_opt_outs_sender"),
    )
    op.create_index(op.f("ix_sms_opt_outs_updated_at"), "sms_opt_outs", ["updated_at"])


def downgrade() -> None:
    op.drop_table("sms_opt_outs")
