"""ownership: tasks, reminders and audit entries belong to a user

Rows stored before this revision have no owner. When an admin exists they are given to the
first one (the lowest id) here; otherwise to the first admin when it is made (the account
service's on_first_user).

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNED = ("task", "reminder", "audit_log")
REFERENCE = ", FOREIGN KEY(owner_id) REFERENCES app_user (id) ON DELETE CASCADE"
# The listings' indexes, now led by the owner: (new name, old name or None, columns).
INDEXES: tuple[tuple[str, str, str | None, list[str | sa.TextClause]], ...] = (
    (
        "task",
        "ix_task_owner_priority_due_date",
        "ix_task_priority_due_date",
        ["priority", "due_date"],
    ),
    ("task", "ix_task_owner_status_due_date", "ix_task_status_due_date", ["status", "due_date"]),
    ("task", "ix_task_owner_due_date_id", "ix_task_due_date_id", ["due_date", "id"]),
    ("task", "ix_task_owner_created_at", "ix_task_created_at", ["created_at"]),
    ("task", "ix_task_owner_updated_at", "ix_task_updated_at", ["updated_at"]),
    ("task", "ix_task_owner_title_lower", "ix_task_title_lower", [sa.text("lower(title)")]),
    ("reminder", "ix_reminder_owner_scheduled_at", None, ["scheduled_at", "id"]),
    ("audit_log", "ix_audit_log_owner_occurred_at", None, ["occurred_at", "id"]),
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in OWNED:
        op.add_column(table, sa.Column("owner_id", sa.Integer()))
        if sqlite:
            _reference_owner_in_place(table)
        else:
            op.create_foreign_key(
                f"fk_{table}_owner_id", table, "app_user", ["owner_id"], ["id"], ondelete="CASCADE"
            )
    for table, name, old, columns in INDEXES:
        if old is not None:
            op.drop_index(old, table_name=table)
        op.create_index(name, table, ["owner_id", *columns])
    first_admin = "(SELECT min(id) FROM app_user WHERE is_admin)"
    for table in OWNED:
        op.execute(f"UPDATE {table} SET owner_id = {first_admin} WHERE owner_id IS NULL")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, name, old, columns in INDEXES:
        op.drop_index(name, table_name=table)
        if old is not None:
            op.create_index(old, table, columns)
    for table in OWNED:
        if sqlite:
            _rewrite_definition(table, f"substr(sql, 1, instr(sql, '{REFERENCE}') - 1) || ')'")
        else:
            op.drop_constraint(f"fk_{table}_owner_id", table, type_="foreignkey")
        op.drop_column(table, "owner_id")


def _reference_owner_in_place(table: str) -> None:
    """SQLite cannot add a constraint to a table, and copying `task` into a new one would drop
    the table its reminders cascade from. So the reference is written into the stored table
    definition, as SQLite documents for constraints that change no stored row (all owners are
    NULL here)."""
    _rewrite_definition(table, f"substr(rtrim(sql), 1, length(rtrim(sql)) - 1) || '{REFERENCE})'")


def _rewrite_definition(table: str, sql: str) -> None:
    """Set the stored CREATE TABLE of `table` to the expression `sql` (of the current `sql`),
    raising the schema version so that every connection reads it again."""
    bind = op.get_bind()
    version = int(bind.exec_driver_sql("PRAGMA schema_version").scalar_one())
    op.execute("PRAGMA writable_schema=ON")
    op.execute(f"UPDATE sqlite_master SET sql = {sql} WHERE type = 'table' AND name = '{table}'")
    op.execute(f"PRAGMA schema_version={version + 1}")
    op.execute("PRAGMA writable_schema=OFF")
