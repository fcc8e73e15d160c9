"""text search: an FTS5 index of the tasks' title and description on SQLite

The trigram tokenizer indexes every run of three characters, folding case (non-ASCII letters
too), so a quoted phrase matches exactly the substrings `q` matched by scanning before; bm25
ranks the matches. The index holds no copy of the text (external content: the task table)
and triggers keep it in step with every insert, update and delete, cascades included.
PostgreSQL has its indexes for `q` since 0001 (trigram GIN on both columns): nothing to do.

A batch migration of `task` (one that copies the table) drops these triggers: create them
again after it.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "task_text"
_REMOVE_OLD = (
    f"INSERT INTO {INDEX}({INDEX}, rowid, title, description) "
    "VALUES ('delete', old.id, old.title, old.description);"
)
_ADD_NEW = (
    f"INSERT INTO {INDEX}(rowid, title, description) VALUES (new.id, new.title, new.description);"
)
TRIGGERS = {
    f"{INDEX}_after_insert": f"AFTER INSERT ON task BEGIN {_ADD_NEW} END",
    f"{INDEX}_after_delete": f"AFTER DELETE ON task BEGIN {_REMOVE_OLD} END",
    f"{INDEX}_after_update": (
        f"AFTER UPDATE OF title, description ON task BEGIN {_REMOVE_OLD} {_ADD_NEW} END"
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        f"CREATE VIRTUAL TABLE {INDEX} USING fts5(title, description, "
        "content='task', content_rowid='id', tokenize='trigram')"
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(f"INSERT INTO {INDEX}({INDEX}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    op.execute(f"DROP TABLE {INDEX}")
