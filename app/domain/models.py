"""The stored model: tasks, reminders, the audit log, the outbox and key-value state."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.columns import PriorityRank, TagList, UtcDateTime
from app.domain.enums import Priority, Recurrence, ReminderStatus, RepeatFrom, TaskStatus
from app.domain.task_fields import TITLE_MAX


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        sa.Index("ix_task_priority_due_date", "priority", "due_date"),
        sa.Index("ix_task_status_due_date", "status", "due_date"),
        sa.Index("ix_task_due_date_id", "due_date", "id"),
        sa.Index("ix_task_created_at", "created_at"),
        sa.Index("ix_task_updated_at", "updated_at"),
        sa.Index("ix_task_title_lower", sa.text("lower(title)")),
        sa.Index("ux_task_parent_task_id", "parent_task_id", unique=True),
    )

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    title: str = Field(sa_column=sa.Column(sa.String(TITLE_MAX), nullable=False))
    description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    due_date: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    timezone: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    recurrence: Recurrence = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    rrule: str | None = Field(default=None, sa_column=sa.Column(sa.String(500)))
    repeat_from: RepeatFrom = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    priority: Priority = Field(sa_column=sa.Column(PriorityRank, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=sa.Column(TagList, nullable=False))
    status: TaskStatus = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    parent_task_id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("task.id", ondelete="SET NULL")),
    )
    reminder_offset: str | None = Field(default=None, sa_column=sa.Column(sa.String(50)))


class Reminder(SQLModel, table=True):
    __tablename__ = "reminder"
    __table_args__ = (
        sa.Index("ix_reminder_task_id", "task_id"),
        sa.Index("ix_reminder_status_scheduled_at", "status", "scheduled_at"),
    )

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    task_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("task.id", ondelete="CASCADE"), nullable=False
        )
    )
    reminder_offset: str = Field(sa_column=sa.Column(sa.String(50), nullable=False))
    scheduled_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    status: ReminderStatus = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    late: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    # How the reminder reaches its owner; today every reminder is a toast in the open tabs.
    reminder_type: str = Field(
        default="websocket", sa_column=sa.Column(sa.String(16), nullable=False)
    )
    # How many times the scheduler's trigger was taken up again after a failed attempt.
    retry_count: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))


class AuditLogEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (
        sa.Index("ix_audit_log_task_id", "task_id"),
        sa.Index("ix_audit_log_event_type", "event_type"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False, unique=True))
    event_type: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    topic: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    task_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    data: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    occurred_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    recorded_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))


class OutboxMessage(SQLModel, table=True):
    """An event stored with the write that caused it, published later by the relay."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "topic", name="ux_outbox_event_topic"),
        sa.Index("ix_outbox_unsent", "sent_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    topic: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    payload: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    claimed_until: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class DeadLetter(SQLModel, table=True):
    """An event a handler rejected as malformed: set aside, listed, and replayable."""

    __tablename__ = "dead_letter"
    __table_args__ = (sa.Index("ix_dead_letter_replayed_at", "replayed_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    topic: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    payload: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    error: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
    replayed_at: datetime | None = Field(default=None, sa_column=sa.Column(UtcDateTime))


class IdSequence(SQLModel, table=True):
    """Ids handed out before an insert, so a write and its events go in one statement."""

    __tablename__ = "id_sequence"

    name: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    value: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class KeyValue(SQLModel, table=True):
    """Key-value state with an etag for optimistic concurrency (conversation history)."""

    __tablename__ = "kv_state"

    key: str = Field(sa_column=sa.Column(sa.String(200), primary_key=True))
    value: Any = Field(sa_column=sa.Column(sa.JSON, nullable=False))
    etag: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    updated_at: datetime = Field(sa_column=sa.Column(UtcDateTime, nullable=False))
