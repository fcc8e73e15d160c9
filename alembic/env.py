"""Migrations run against TASKFLOW_DATABASE_URL (or the embedded SQLite file).

On PostgreSQL with TASKFLOW_DATABASE_RUNTIME_ROLE, the migrations run as the role that owns
the schema, and that role is granted what the app needs, nothing more, after every upgrade."""

from pathlib import Path
from typing import Any

from alembic import context

from app.adapters.local.sql import create_engine
from app.config import Settings
from app.repositories.grants import grant_runtime_role
from app.repositories.tables import METADATA, exists_on

settings = Settings.from_env()
if settings.database_url.startswith("sqlite:///"):
    Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

engine = create_engine(settings.database_url)


def on_this_database(item: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
    return exists_on(engine.dialect.name, item)


# Closed at the end, not when the process exits: the tests migrate in their own process.
try:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=METADATA,
            render_as_batch=connection.dialect.name == "sqlite",
            include_object=on_this_database,
        )
        with context.begin_transaction():
            context.run_migrations()
            role = settings.database_runtime_role
            if role is not None and connection.dialect.name == "postgresql":
                grant_runtime_role(connection, role)
finally:
    engine.dispose()
