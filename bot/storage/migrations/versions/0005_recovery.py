"""Recovery profiles (surgery date, check-ins) and the pain diary.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

# Plain SQLAlchemy types here, never model classes, so this file keeps meaning what it meant.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recovery_profiles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("surgery_date", sa.Date(), nullable=True),
        sa.Column("consent", sa.Boolean(create_constraint=False), nullable=False),
        sa.Column("checkins", sa.Boolean(create_constraint=False), nullable=False),
        sa.CheckConstraint(sa.column("consent") == sa.true(), name="consent"),
        sa.UniqueConstraint("sender_hash", name="uq_recovery_profiles_sender_hash"),
    )
    op.create_index(op.f("ix_recovery_profiles_created_at"), "recovery_profiles", ["created_at"])
    op.create_table(
        "pain_scores",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("area", sa.String(8), nullable=True),
        sa.CheckConstraint(sa.column("score").between(0, 10), name="score"),
        sa.CheckConstraint(sa.or_(sa.column("area").is_(None), sa.column("area").in_(("leg", "back"))),
                           name="area"),
    )
    op.create_index(op.f("ix_pain_scores_created_at"), "pain_scores", ["created_at"])
    op.create_index(op.f("ix_pain_scores_sender_hash"), "pain_scores", ["sender_hash"])


def downgrade() -> None:
    op.drop_table("pain_scores")
    op.drop_table("recovery_profiles")
