"""when a reminder's delivery last failed: the sweep leaves a job alone while it is retried

Once a job comes due, Dapr's scheduler answers that it holds no such job, though it still
calls it back after each failure. The reconciliation sweep took such a job for lost and armed
it again at every pass, each time starting its round of retries anew: in a 5-minute Kafka
outage a reminder was called back 676 times, not about 100.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Altered in place on SQLite too (no batch copy): migration 0004's downgrade edits the stored
# definition of the table it wrote.
def upgrade() -> None:
    op.add_column("reminder", sa.Column("retried_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("reminder", "retried_at")
