"""Migrations run against TASKFLOW_DATABASE_URL (or the embedded SQLite file)."""

from pathlib import Path

from alembic import context
from sqlmodel import SQLModel

import app.domain.models  # noqa: F401 - registers the tables
from app.adapters.local.sql import create_engine
from app.config import Settings

settings = Settings.from_env()
if settings.database_url.startswith("sqlite:///"):
    Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)

engine = create_engine(settings.database_url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
