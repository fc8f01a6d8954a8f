"""Updates count as handled only once answered: processed_updates gets the update's digest (a redelivered
update has the same one; a fresh update whose id collides with an old one, after the Bot API server
restarted its ids, does not), its state (pending until its replies were accepted, then done) and, while
pending, the update itself so that it can be handled again after an outage or a crash.

Rows from before this revision are done, without a digest.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("state", sa.String(length=8), server_default="done", nullable=False))
        batch.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch.create_check_constraint("ck_processed_updates_state", "state IN ('pending', 'done')")
    op.create_index("ix_processed_updates_state_at", "processed_updates", ["state", "at"])


def downgrade() -> None:
    op.drop_index("ix_processed_updates_state_at", table_name="processed_updates")
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_constraint("ck_processed_updates_state", type_="check")
        batch.drop_column("payload")
        batch.drop_column("state")
        batch.drop_column("digest")
