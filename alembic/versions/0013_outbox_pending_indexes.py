"""outbox pending indexes: the relay's claim reads the waiting rows, not every row kept

Under load on the Dapr stack the outbox fell 4,000 rows behind, and each claim then took 2.5 to
12 s of PostgreSQL: every waiting row was tested against every earlier waiting one for a held
row of its task. The claim now finds the held rows once (by their lease) and reads the waiting
rows in order, each from an index of the unsent rows alone.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNSENT = sa.text("sent_at IS NULL")
INDEXES = {"ix_outbox_pending": ["id"], "ix_outbox_pending_claimed_until": ["claimed_until"]}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "outbox", columns, postgresql_where=UNSENT, sqlite_where=UNSENT)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="outbox")
