"""preferences: each user's time zone, quiet hours and digest time; one digest per user and day

A digest's deliveries are notification deliveries without a reminder: they are sent, retried
and reported by the courier like a reminder's.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = sa.DateTime(timezone=True)


def _user_id(**options: bool) -> sa.Column[int]:
    return sa.Column(
        "owner_id", sa.Integer(), sa.ForeignKey("app_user.id", ondelete="CASCADE"), **options
    )


def upgrade() -> None:
    op.create_table(
        "user_preference",
        _user_id(primary_key=True),
        sa.Column("time_zone", sa.String(64)),
        sa.Column("quiet_from", sa.String(5)),
        sa.Column("quiet_to", sa.String(5)),
        sa.Column("digest_at", sa.String(5)),
        sa.Column("updated_at", Moment, nullable=False),
    )
    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), primary_key=True),
        _user_id(nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("due_today", sa.Integer(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.UniqueConstraint("owner_id", "local_date", name="ux_digest_owner_local_date"),
    )
    with op.batch_alter_table("notification_delivery") as delivery:
        delivery.alter_column("reminder_id", existing_type=sa.Integer(), nullable=True)
        delivery.add_column(sa.Column("digest_date", sa.Date()))
        delivery.create_unique_constraint(
            "ux_notification_delivery_digest_channel", ["owner_id", "digest_date", "channel_id"]
        )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM notification_delivery WHERE reminder_id IS NULL"))
    with op.batch_alter_table("notification_delivery") as delivery:
        delivery.drop_constraint("ux_notification_delivery_digest_channel", type_="unique")
        delivery.drop_column("digest_date")
        delivery.alter_column("reminder_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("digest")
    op.drop_table("user_preference")
