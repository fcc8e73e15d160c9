"""push subscriptions: a webpush channel keeps its browser subscription's keys

The server's VAPID key pair, which signs every push, is kept in kv_state like the action
links' key.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("notification_channel", sa.Column("push_keys", sa.JSON()))


def downgrade() -> None:
    op.execute("DELETE FROM notification_channel WHERE type = 'webpush'")
    op.drop_column("notification_channel", "push_keys")
