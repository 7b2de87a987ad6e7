"""Versioned SQL migrations, applied in order under an advisory lock (idempotent)."""
from __future__ import annotations

import hashlib
from importlib import resources

import asyncpg
import structlog

from services.core.db import ensure_database

log = structlog.get_logger(__name__)
LOCK_KEY = 0x1ED6E55C  # any constant shared by every `ledgersync migrate`


def _migrations() -> list[tuple[str, str]]:
    folder = resources.files("services.core") / "migrations"
    files = sorted(p for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(p.name.removesuffix(".sql"), p.read_text()) for p in files]


async def migrate(dsn: str) -> list[str]:
    """Apply pending migrations; returns the versions applied by this call."""
    await ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
        await conn.execute("""CREATE TABLE IF NOT EXISTS schema_migrations (
            version text PRIMARY KEY, checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now())""")
        done = {r["version"]: r["checksum"] for r in await conn.fetch("SELECT * FROM schema_migrations")}
        for version, sql in _migrations():
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            if version in done:
                if done[version] != checksum:
                    log.warning("migrate.checksum_changed", version=version)
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute("INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                                   version, checksum)
            applied.append(version)
            log.info("migrate.applied", version=version)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        await conn.close()
    return applied
