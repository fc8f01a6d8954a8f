"""Chat: the messages of each exchange (follow-ups by reply), "Xem thêm" pages sent once, one vote per
user per answer.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "question_messages",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("message_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_id", "message_id"),
    )
    op.create_table(
        "answer_pages",
        sa.Column("question_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("start", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("question_id", "start"),
    )
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("question_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
        batch.create_foreign_key(
            "fk_feedback_question_id", "questions", ["question_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_unique_constraint("uq_feedback_answer_user", ["question_id", "message_id", "user_id"])


def downgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.drop_constraint("uq_feedback_answer_user", type_="unique")
        batch.drop_constraint("fk_feedback_question_id", type_="foreignkey")
        batch.drop_column("message_id")
        batch.drop_column("question_id")
    op.drop_table("answer_pages")
    op.drop_table("question_messages")
