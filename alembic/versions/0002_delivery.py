"""delivery under faults: reminder type and retry count, the dead-letter list

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("reminder") as reminder:
        reminder.add_column(
            sa.Column("reminder_type", sa.String(16), nullable=False, server_default="websocket")
        )
        reminder.add_column(
            sa.Column("retry_count", sa.Integer(), nullable=False, server_default="0")
        )

    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("replayed_at", Moment),
    )
    op.create_index("ix_dead_letter_replayed_at", "dead_letter", ["replayed_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_dead_letter_replayed_at", table_name="dead_letter")
    op.drop_table("dead_letter")
    with op.batch_alter_table("reminder") as reminder:
        reminder.drop_column("retry_count")
        reminder.drop_column("reminder_type")
