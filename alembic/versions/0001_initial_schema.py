"""initial schema: tasks, reminders, audit log, outbox, id sequences, key-value state

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Moment = sa.DateTime(timezone=True)
TagArray = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), autoincrement=False, primary_key=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_date", Moment),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("recurrence", sa.String(16), nullable=False),
        sa.Column("rrule", sa.String(500)),
        sa.Column("repeat_from", sa.String(16), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("tags", TagArray, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
        sa.Column("completed_at", Moment),
        sa.Column("parent_task_id", sa.Integer(), sa.ForeignKey("task.id", ondelete="SET NULL")),
        sa.Column("reminder_offset", sa.String(50)),
    )
    op.create_index("ix_task_priority_due_date", "task", ["priority", "due_date"])
    op.create_index("ix_task_status_due_date", "task", ["status", "due_date"])
    op.create_index("ix_task_due_date_id", "task", ["due_date", "id"])
    op.create_index("ix_task_created_at", "task", ["created_at"])
    op.create_index("ix_task_updated_at", "task", ["updated_at"])
    op.create_index("ix_task_title_lower", "task", [sa.text("lower(title)")])
    op.create_index("ux_task_parent_task_id", "task", ["parent_task_id"], unique=True)

    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), autoincrement=False, primary_key=True),
        sa.Column(
            "task_id",
            sa.Integer(),
            sa.ForeignKey("task.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("reminder_offset", sa.String(50), nullable=False),
        sa.Column("scheduled_at", Moment, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("sent_at", Moment),
    )
    op.create_index("ix_reminder_task_id", "reminder", ["task_id"])
    op.create_index("ix_reminder_status_scheduled_at", "reminder", ["status", "scheduled_at"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("task_id", sa.Integer()),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("occurred_at", Moment, nullable=False),
        sa.Column("recorded_at", Moment, nullable=False),
    )
    op.create_index("ix_audit_log_task_id", "audit_log", ["task_id"])
    op.create_index("ix_audit_log_event_type", "audit_log", ["event_type"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", Moment, nullable=False),
        sa.Column("sent_at", Moment),
        sa.Column("claimed_until", Moment),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.UniqueConstraint("event_id", "topic", name="ux_outbox_event_topic"),
    )
    op.create_index("ix_outbox_unsent", "outbox", ["sent_at", "id"])

    id_sequence = op.create_table(
        "id_sequence",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(id_sequence, [{"name": "task", "value": 0}, {"name": "reminder", "value": 0}])

    op.create_table(
        "kv_state",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("etag", sa.Integer(), nullable=False),
        sa.Column("updated_at", Moment, nullable=False),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_task_tags_gin ON task USING GIN (tags)")
        op.execute(
            "CREATE INDEX ix_task_fulltext ON task USING GIN "
            "(to_tsvector('simple', title || ' ' || description))"
        )
        # Case-insensitive substring search (`q`, compiled to ILIKE) uses these trigram indexes.
        op.execute("CREATE INDEX ix_task_title_trgm ON task USING GIN (title gin_trgm_ops)")
        op.execute(
            "CREATE INDEX ix_task_description_trgm ON task USING GIN (description gin_trgm_ops)"
        )


def downgrade() -> None:
    for table in ("kv_state", "id_sequence", "outbox", "audit_log", "reminder", "task"):
        op.drop_table(table)
