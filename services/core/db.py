"""asyncpg pool: JSON codecs, UTC timestamps, and the database created if missing."""
from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import structlog

from services.core import metrics
from services.core.jsonio import json_text, json_value
from services.core.retry import backoff_s

log = structlog.get_logger(__name__)
T = TypeVar("T")
# The database is away (restarting, backends terminated, refusing connections), not the work
# wrong: retry later, answer 503 with Retry-After, report "down".
UNAVAILABLE = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.OperatorInterventionError,
               asyncpg.ObjectNotInPrerequisiteStateError, asyncpg.exceptions._base.InternalClientError,
               ConnectionRefusedError, ConnectionResetError)
# PostgreSQL aborted this transaction to let a concurrent one go on (a deadlock it broke, a
# serialization conflict): nothing of it was kept, and running it again is expected to succeed.
CONFLICTS = (asyncpg.DeadlockDetectedError, asyncpg.SerializationError)
CONFLICT_ATTEMPTS = 3


async def in_transaction(pool: asyncpg.Pool, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    """``await work(conn)`` inside one transaction, run again (a few times, briefly apart) when
    PostgreSQL aborted it as the loser of a deadlock or a serialization conflict."""
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            async with pool.acquire() as conn, conn.transaction():
                return await work(conn)
        except CONFLICTS as exc:
            if attempt == CONFLICT_ATTEMPTS:
                raise
            log.warning("db.transaction_conflict_retried", attempt=attempt, error=str(exc).splitlines()[0])
            await asyncio.sleep(backoff_s(attempt, base_s=0.05, cap_s=0.5, jitter=0.5))
    raise AssertionError("unreachable")


class QueryCounter:
    """SQL round trips sent by this process's pools (every statement, BEGIN and COMMIT
    included), counted through asyncpg's query loggers once ``enable()`` was called."""

    def __init__(self) -> None:
        self.enabled, self.count = False, 0

    def enable(self) -> None:
        self.enabled = True

    def __call__(self, _record) -> None:
        self.count += 1


QUERIES = QueryCounter()


class _Losses:
    """Connections the server or the network took away, so the next ones opened count as
    reconnects. The pool never retires connections by itself (see ``create_pool``), so one
    that ends while the pool keeps going was lost; at shutdown nothing new is opened."""

    def __init__(self) -> None:
        self.unreplaced = 0

    def on_terminated(self, _conn: asyncpg.Connection) -> None:
        self.unreplaced += 1

    async def init(self, conn: asyncpg.Connection) -> None:
        if QUERIES.enabled:
            conn.add_query_logger(QUERIES)
        for typ in ("json", "jsonb"):
            await conn.set_type_codec(typ, encoder=json_text, decoder=json_value, schema="pg_catalog")
        await conn.execute("SET TIME ZONE 'UTC'")
        conn.add_termination_listener(self.on_terminated)
        if self.unreplaced:
            self.unreplaced -= 1
            metrics.DATABASE_RECONNECTS.inc()
            log.info("db.reconnected")


async def _reset(conn: asyncpg.Connection) -> None:
    """On release, after asyncpg's own reset (listeners dropped, an open transaction rolled
    back): nothing more. No SET, LISTEN or advisory lock outlives the code that made it (each
    undoes its own), and the default reset query would cost a round trip per acquire."""


async def create_pool(dsn: str, min_size: int = 1, max_size: int = 10, *, wait_s: float = 0.0) -> asyncpg.Pool:
    """A pool whose connections come back by themselves after the server restarts or
    terminates them: asyncpg drops a broken connection and opens a new one on the next acquire.
    ``wait_s``: how long a database that is away at start is waited for (with backoff) before
    giving up, so a process started during a database restart comes up once it is back."""
    started = time.monotonic()
    for attempt in itertools.count(1):
        try:
            return await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_Losses().init,
                                             reset=_reset, max_queries=10**12, max_inactive_connection_lifetime=0)
        except (*UNAVAILABLE, OSError, asyncio.TimeoutError) as exc:
            pause = backoff_s(attempt, base_s=0.5, cap_s=10.0)
            if time.monotonic() - started + pause > wait_s:
                raise
            log.warning("db.waiting_at_start", attempt=attempt, retry_in_s=pause, error=str(exc) or repr(exc))
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")


def _split(dsn: str) -> tuple[str, str]:
    parts = urlsplit(dsn)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path="/postgres")), name


async def ensure_database(dsn: str) -> bool:
    """Create the database named in ``dsn`` when it does not exist; True when created."""
    admin_dsn, name = _split(dsn)
    conn = await asyncpg.connect(admin_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            return False  # a concurrent `migrate` created it first
        log.info("db.created", database=name)
        return True
    finally:
        await conn.close()


async def drop_database(dsn: str) -> None:
    admin_dsn, name = _split(dsn)
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
