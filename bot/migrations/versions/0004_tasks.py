"""Tasks that belong to someone: task scope (org / group / personal), the /task_add message a task came
from, the task history (task_events), units a chat follows (subscription_units) and whether a
subscription follows every organisation task (subscriptions.all_org).

Existing rows keep their meaning: a task from a document, or one without a chat, belongs to the
organisation; one typed in a group (negative chat id) to that group; one typed in a private chat to its
author. Existing subscriptions follow every organisation task, as before. Each existing task gets its
"created"/"imported" event (and "done" when it was closed), so its history starts with what is known.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("scope", sa.String(length=16), nullable=False, server_default="org"))
        batch.add_column(sa.Column("source_message_id", sa.BigInteger(), nullable=True))
        batch.create_check_constraint("ck_tasks_scope", "scope IN ('org', 'group', 'personal')")
        batch.create_index("ix_tasks_chat_message", ["chat_id", "source_message_id"], unique=False)
    op.execute(
        "UPDATE tasks SET scope = CASE"
        " WHEN source_doc IS NOT NULL OR chat_id IS NULL THEN 'org'"
        " WHEN chat_id < 0 THEN 'group'"
        " ELSE 'personal' END"
    )
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("all_org", sa.Boolean(), nullable=False, server_default=sa.true()))

    op.create_table(
        "task_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("user_name", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_task_events_task", "task_events", ["task_id", "at"], unique=False)
    op.execute(
        "INSERT INTO task_events (task_id, at, user_id, action, detail)"
        " SELECT id, created_at, created_by,"
        " CASE WHEN source_doc IS NOT NULL THEN 'imported' ELSE 'created' END, NULL FROM tasks"
    )
    op.execute(
        "INSERT INTO task_events (task_id, at, user_id, action, detail)"
        " SELECT id, done_at, NULL, 'done', NULL FROM tasks WHERE done_at IS NOT NULL"
    )

    op.create_table(
        "subscription_units",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("unit_key", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "unit_key"),
    )


def downgrade() -> None:
    op.drop_table("subscription_units")
    op.drop_index("ix_task_events_task", table_name="task_events")
    op.drop_table("task_events")
    with op.batch_alter_table("subscriptions") as batch:
        batch.drop_column("all_org")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_index("ix_tasks_chat_message")
        batch.drop_constraint("ck_tasks_scope", type_="check")
        batch.drop_column("source_message_id")
        batch.drop_column("scope")
