"""drop the word index: no query has read it since search matches by trigrams

`ix_task_fulltext`, a GIN index of each task's words (`to_tsvector`), served the first search.
Search has matched text by trigrams since (migrations 0005 and 0011), so nothing reads this
index, yet every insert and every update of a task's indexed columns writes to it: 20,000
tasks inserted in one statement took 2.05 s with it and 1.62 s without it, and at 100,000
tasks it took 15 MB.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_task_fulltext"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index(INDEX, table_name="task")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX {INDEX} ON task USING GIN "
            "(to_tsvector('simple', title || ' ' || description))"
        )
