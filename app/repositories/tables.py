"""The tables, as the migrations create them; alembic compares its metadata with them."""

from typing import Any

import sqlalchemy as sa

from app.domain.channels import TARGET_MAX as CHANNEL_TARGET_MAX
from app.domain.offsets import MAX_OFFSET_TEXT
from app.domain.recurrence import MAX_RULE_LENGTH
from app.domain.task_fields import TIMEZONE_MAX, TITLE_MAX
from app.domain.users import DISPLAY_NAME_MAX, TOKEN_NAME_MAX, USERNAME_MAX
from app.repositories.columns import PriorityRank, TagList, UtcDateTime

METADATA = sa.MetaData()


def postgresql_only(index: sa.Index) -> sa.Index:
    """An index created on PostgreSQL only (`only_on` tells `exists_on` so)."""
    index.info["only_on"] = "postgresql"
    return index.ddl_if(dialect="postgresql")


def exists_on(dialect: str, item: Any) -> bool:
    """Whether `item` of the tables (an index, a column ...) exists on a `dialect` database:
    what a comparison with a migrated database leaves out when it does not. SQLite's text
    index (TASK_TEXT, a virtual table and the tables FTS5 keeps for it) is no table of ours."""
    if isinstance(item, sa.Table) and item.name.startswith(TASK_TEXT.name):
        return False
    if getattr(item, "name", None) in FOLDED_TEXT:
        return False
    return getattr(item, "info", {}).get("only_on") in (None, dialect)


def owner_column() -> sa.Column[int]:
    """The user a row belongs to; NULL only for rows stored before any user existed."""
    return sa.Column("owner_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"))


TASK = sa.Table(
    "task",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("title", sa.String(TITLE_MAX), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("due_date", UtcDateTime),
    sa.Column("timezone", sa.String(TIMEZONE_MAX), nullable=False),
    sa.Column("recurrence", sa.String(16), nullable=False),
    sa.Column("rrule", sa.String(MAX_RULE_LENGTH)),
    sa.Column("repeat_from", sa.String(16), nullable=False),
    sa.Column("priority", PriorityRank, nullable=False),
    sa.Column("tags", TagList, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("completed_at", UtcDateTime),
    sa.Column("parent_task_id", sa.Integer, sa.ForeignKey("task.id", ondelete="SET NULL")),
    sa.Column("reminder_offset", sa.String(MAX_OFFSET_TEXT)),
    owner_column(),
    # Every listing is one owner's: each sort order (and filter) has its index led by the owner.
    sa.Index("ix_task_owner_priority_due_date", "owner_id", "priority", "due_date"),
    sa.Index("ix_task_owner_status_due_date", "owner_id", "status", "due_date"),
    # Status and priority together, the board's common filter: its page in due-date order, and
    # its count read from the index alone.
    sa.Index(
        "ix_task_owner_status_priority_due_date", "owner_id", "status", "priority", "due_date"
    ),
    sa.Index("ix_task_owner_due_date_id", "owner_id", "due_date", "id"),
    sa.Index("ix_task_owner_created_at", "owner_id", "created_at"),
    sa.Index("ix_task_owner_updated_at", "owner_id", "updated_at"),
    sa.Index("ix_task_owner_title_lower", "owner_id", sa.text("lower(title)")),
    sa.Index("ux_task_parent_task_id", "parent_task_id", unique=True),
    # Only on PostgreSQL: tag containment. (Its text search has the trigram indexes of FOLDED_TEXT.)
    postgresql_only(sa.Index("ix_task_tags_gin", "tags", postgresql_using="gin")),
)

# PostgreSQL only: the task's title and description folded to lower case, which PostgreSQL
# stores itself (generated columns, migration 0011), and their trigram indexes (FOLDED_TEXT,
# the names of both). Text search matches them with LIKE, and so rechecks a candidate row
# without folding it again as ILIKE did. Not columns of TASK: nothing but the search
# (repositories/text_search.py) reads them, and nothing writes them.
FOLDED = {"title": "title_folded", "description": "description_folded"}
FOLDED_TEXT = {*FOLDED.values(), *(f"ix_task_{folded}_trgm" for folded in FOLDED.values())}

# SQLite only: the FTS5 trigram index of the tasks' text (migration 0005), its rowid the
# task's id, kept in step by triggers. Queries name its table in MATCH.
TASK_TEXT = sa.table("task_text", sa.column("rowid", sa.Integer))

REMINDER = sa.Table(
    "reminder",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("task_id", sa.Integer, sa.ForeignKey("task.id", ondelete="CASCADE"), nullable=False),
    sa.Column("reminder_offset", sa.String(MAX_OFFSET_TEXT), nullable=False),
    sa.Column("scheduled_at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("late", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("reminder_type", sa.String(16), nullable=False),
    sa.Column("retry_count", sa.Integer, nullable=False),
    sa.Column("retried_at", UtcDateTime),
    owner_column(),
    sa.Index("ix_reminder_task_id", "task_id"),
    sa.Index("ix_reminder_status_scheduled_at", "status", "scheduled_at"),
    sa.Index("ix_reminder_owner_scheduled_at", "owner_id", "scheduled_at", "id"),
)

AUDIT_LOG = sa.Table(
    "audit_log",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("task_id", sa.Integer),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("occurred_at", UtcDateTime, nullable=False),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    owner_column(),
    sa.Index("ix_audit_log_task_id", "task_id"),
    sa.Index("ix_audit_log_event_type", "event_type"),
    sa.Index("ix_audit_log_owner_occurred_at", "owner_id", "occurred_at", "id"),
)

# Indexes of the unsent rows only: the few waiting among all those kept after sending.
OUTBOX_PENDING: dict[str, Any] = {
    f"{dialect}_where": sa.text("sent_at IS NULL") for dialect in ("postgresql", "sqlite")
}

# Events stored with the write that caused them, published later by the relay.
OUTBOX = sa.Table(
    "outbox",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sent_at", UtcDateTime),
    sa.Column("claimed_until", UtcDateTime),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("event_id", "topic", name="ux_outbox_event_topic"),
    sa.Index("ix_outbox_unsent", "sent_at", "id"),
    # The relay's: the waiting rows in order, and the held ones among them (OUTBOX_PENDING).
    sa.Index("ix_outbox_pending", "id", **OUTBOX_PENDING),
    sa.Index("ix_outbox_pending_claimed_until", "claimed_until", **OUTBOX_PENDING),
)

DEAD_LETTER = sa.Table(
    "dead_letter",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("replayed_at", UtcDateTime),
    sa.Index("ix_dead_letter_replayed_at", "replayed_at", "id"),
)

# Ids handed out before an insert, so a write and its events go in one statement.
ID_SEQUENCE = sa.Table(
    "id_sequence",
    METADATA,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# Key-value state with an etag for optimistic concurrency (conversation history).
KV_STATE = sa.Table(
    "kv_state",
    METADATA,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("etag", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# Accounts. The username is stored lower-cased, so its unique index ignores case.
APP_USER = sa.Table(
    "app_user",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(USERNAME_MAX), nullable=False, unique=True),
    sa.Column("display_name", sa.String(DISPLAY_NAME_MAX), nullable=False),
    # None for a user who signs in only through single sign-on.
    sa.Column("password_hash", sa.String(200)),
    sa.Column("is_admin", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("oidc_issuer", sa.String(500)),
    sa.Column("oidc_subject", sa.String(255)),
    sa.UniqueConstraint("oidc_issuer", "oidc_subject", name="ux_app_user_oidc"),
)

# Sessions by the SHA-256 of their cookie value: a stolen database holds no usable cookie.
USER_SESSION = sa.Table(
    "user_session",
    METADATA,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("last_seen_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Index("ix_user_session_user_id", "user_id"),
)

API_TOKEN = sa.Table(
    "api_token",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(TOKEN_NAME_MAX), nullable=False),
    # "read" or "read write".
    sa.Column("scopes", sa.String(32), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime),
    sa.Column("last_used_at", UtcDateTime),
    sa.Index("ix_api_token_user_id", "user_id"),
)

# Where a user's reminders are sent besides the open tabs (issue 13).
NOTIFICATION_CHANNEL = sa.Table(
    "notification_channel",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "owner_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("target", sa.String(CHANNEL_TARGET_MAX), nullable=False),
    # A webhook's signing secret: it must be kept as it is, to sign with.
    sa.Column("secret", sa.String(64)),
    sa.Column("created_at", UtcDateTime, nullable=False),
    # A webpush channel's subscription keys ({p256dh, auth}): what its notifications are
    # encrypted for.
    sa.Column("push_keys", sa.JSON),
    sa.Index("ix_notification_channel_owner_id", "owner_id", "id"),
)

# A user's own notification settings (issue 13): times of day are "HH:MM" on their clock.
USER_PREFERENCE = sa.Table(
    "user_preference",
    METADATA,
    sa.Column(
        "owner_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True
    ),
    # None: the install's zone.
    sa.Column("time_zone", sa.String(TIMEZONE_MAX)),
    sa.Column("quiet_from", sa.String(5)),
    sa.Column("quiet_to", sa.String(5)),
    sa.Column("digest_at", sa.String(5)),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# One daily digest per user and local day, whoever sends it: the row is taken before it is sent.
DIGEST = sa.Table(
    "digest",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "owner_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("local_date", sa.Date, nullable=False),
    sa.Column("overdue", sa.Integer, nullable=False),
    sa.Column("due_today", sa.Integer, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("owner_id", "local_date", name="ux_digest_owner_local_date"),
)

# One fired reminder on one channel: a redelivered reminder.sent finds its row and sends nothing.
NOTIFICATION_DELIVERY = sa.Table(
    "notification_delivery",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    # A fired reminder's, or (reminder_id NULL) the owner's daily digest of a local date.
    sa.Column("reminder_id", sa.Integer, sa.ForeignKey("reminder.id", ondelete="CASCADE")),
    sa.Column("digest_date", sa.Date),
    sa.Column(
        "channel_id",
        sa.Integer,
        sa.ForeignKey("notification_channel.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "owner_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("task_id", sa.Integer),
    sa.Column("notification", sa.JSON, nullable=False),
    sa.Column("event", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("claimed_until", UtcDateTime),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime),
    sa.UniqueConstraint(
        "reminder_id", "channel_id", name="ux_notification_delivery_reminder_channel"
    ),
    sa.UniqueConstraint(
        "owner_id", "digest_date", "channel_id", name="ux_notification_delivery_digest_channel"
    ),
    sa.Index("ix_notification_delivery_status_next", "status", "next_attempt_at"),
    sa.Index("ix_notification_delivery_channel_id", "channel_id"),
)

# The notification links (done, snooze) that were used: each acts once (issue 13).
ACTION_LINK_USE = sa.Table(
    "action_link_use",
    METADATA,
    sa.Column("link_id", sa.String(32), primary_key=True),
    sa.Column(
        "owner_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("task_id", sa.Integer, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("used_at", UtcDateTime, nullable=False),
)
