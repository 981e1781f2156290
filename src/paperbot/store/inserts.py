"""Insert rows, skipping those a unique key already has, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from paperbot.store.models import Base

# Rows per statement: asyncpg allows 32,767 parameters in one, and a row here has ~10.
CHUNK = 500


async def insert_new(
    session: AsyncSession, model: type[Base], values: Sequence[dict[str, Any]], key: Sequence[str]
) -> int:
    """Insert ``values`` into ``model``'s table, ignoring rows whose ``key`` exists; returns how many went in."""
    dialect = (await session.connection()).dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    added = 0
    for start in range(0, len(values), CHUNK):
        statement = (
            insert(model).values(list(values[start : start + CHUNK])).on_conflict_do_nothing(index_elements=list(key))
        )
        result = await session.execute(statement)
        added += max(result.rowcount, 0)  # type: ignore[attr-defined]
    return added
