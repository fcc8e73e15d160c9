"""Users for the tests below the API: app_user rows made directly, so that tasks, reminders and
audit entries have owners. (Tests through the API sign up and sign in instead.)"""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.repositories.tables import APP_USER

# The user most tests act for, and another one whose ids must look missing to the first.
OWNER = 1
STRANGER = 2


def users(*user_ids: int) -> sa.Insert:
    """The statement that makes admins with these ids, unless they exist."""
    return (
        upsert_insert(APP_USER)
        .values(
            [
                {
                    "id": user_id,
                    "username": f"user{user_id}",
                    "display_name": f"User {user_id}",
                    "is_admin": True,
                    "created_at": datetime(2030, 1, 1, tzinfo=UTC),
                }
                for user_id in user_ids
            ]
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
