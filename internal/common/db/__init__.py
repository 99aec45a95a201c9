"""PostgreSQL: one asyncpg pool per process, and ordered SQL migrations per service."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from internal.common.logger import logger

_LOCK_KEY = 0x7472696465  # "tride": one advisory lock for every migrator of a database


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, command_timeout=30)
    assert pool is not None
    return pool


async def migrate(dsn: str, migrations_dir: Path) -> list[str]:
    """Apply the *.sql files of `migrations_dir` not applied yet, in name order, each in a transaction.

    Serialised by an advisory lock, so several instances starting at once apply each file once.
    """
    files = await asyncio.to_thread(lambda: sorted(migrations_dir.glob("*.sql")))
    applied: list[str] = []
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            for path in files:
                if path.stem in done:
                    continue
                async with conn.transaction():
                    await conn.execute(await asyncio.to_thread(path.read_text))
                    await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", path.stem)
                applied.append(path.stem)
                logger.info("applied migration {}", path.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()
    return applied
