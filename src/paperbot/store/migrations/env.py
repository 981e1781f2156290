"""Alembic environment: runs on the connection ``paperbot.store.db.migrate`` hands over."""

from __future__ import annotations

from alembic import context

from paperbot.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "paperbot migrations run through paperbot (they start with the bot); "
        "there is no alembic.ini to point the alembic command at"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
