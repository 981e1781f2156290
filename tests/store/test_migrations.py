"""The schema comes from the migrations, and matches the models, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from paperbot.store.db import create_engine, downgrade, migrate
from paperbot.store.models import Base

TABLES = {
    "papers",
    "announcements",
    "recipients",
    "subscriptions",
    "deliveries",
    "source_cursors",
    "summaries",
    "llm_usage",
    "feedback",
    "paper_vectors",
    "library_entries",
    "held_papers",
    "alembic_version",
}


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_build_exactly_the_models(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert tables == TABLES
        assert await connection.run_sync(_diff) == []


async def test_migrate_is_idempotent_and_reversible(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url)
    try:
        await migrate(engine)
        await migrate(engine)
        await downgrade(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(lambda c: set(inspect(c).get_table_names())) == {"alembic_version"}
        await migrate(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(lambda c: set(inspect(c).get_table_names())) == TABLES
    finally:
        await engine.dispose()
