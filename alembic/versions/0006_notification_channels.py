"""notification channels: where a user's reminders go, and each reminder's delivery on each

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = sa.DateTime(timezone=True)


def _user_id() -> sa.Column[int]:
    return sa.Column(
        "owner_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "notification_channel",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_id(),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("target", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(64)),
        sa.Column("created_at", Moment, nullable=False),
    )
    op.create_index(
        "ix_notification_channel_owner_id", "notification_channel", ["owner_id", "id"]
    )
    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "reminder_id",
            sa.Integer(),
            sa.ForeignKey("reminder.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "channel_id",
            sa.Integer(),
            sa.ForeignKey("notification_channel.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _user_id(),
        sa.Column("task_id", sa.Integer()),
        sa.Column("notification", sa.JSON(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", Moment, nullable=False),
        sa.Column("claimed_until", Moment),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("delivered_at", Moment),
        sa.UniqueConstraint(
            "reminder_id", "channel_id", name="ux_notification_delivery_reminder_channel"
        ),
    )
    op.create_index(
        "ix_notification_delivery_status_next",
        "notification_delivery",
        ["status", "next_attempt_at"],
    )
    op.create_index(
        "ix_notification_delivery_channel_id", "notification_delivery", ["channel_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_notification_delivery_channel_id", table_name="notification_delivery")
    op.drop_index("ix_notification_delivery_status_next", table_name="notification_delivery")
    op.drop_table("notification_delivery")
    op.drop_index("ix_notification_channel_owner_id", table_name="notification_channel")
    op.drop_table("notification_channel")
