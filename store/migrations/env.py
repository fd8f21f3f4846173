"""Alembic environment: runs migrations through the same async drivers the gateway uses.

The database is the one the gateway is given (``sqlalchemy.url`` set by ``store.db.migrate``),
or, when Alembic runs from the command line with the repository's ``alembic.ini``, the one the
settings name: ``DATABASE_URL``, else the embedded SQLite file in ``TAVLE_DATA_DIR``
(docs/operations.md, "Migrations"). Online runs hold ``store.db.migration_lock``, so processes
that upgrade one database at the same time take turns.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from store.db import migration_lock
from store.tables import metadata

target_metadata = metadata
config = context.config

if config.config_file_name is not None and config.file_config.has_section("loggers"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _database_url() -> str:
    configured = config.get_main_option("sqlalchemy.url")
    if configured:
        return configured
    from config.settings import Settings

    return Settings().resolved_database_url()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    async with migration_lock(url):
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(_run)
        finally:
            await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async(_database_url()))
