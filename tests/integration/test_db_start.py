"""A process started while its database is away: the pool waits for it (with backoff) and comes
up once it answers, or gives up after its wait with the database's own error. The database
"comes back" through a TCP forwarder to the real PostgreSQL that starts listening late."""
from __future__ import annotations

import asyncio
import contextlib
import socket
from urllib.parse import urlsplit

import pytest

from services.core.db import create_pool

pytest_plugins = ("tests.support.inproc",)  # db_dsn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _forward(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


def _forwarder_to(target_host: str, target_port: int):
    async def handle(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection(target_host, target_port)
        await asyncio.gather(_forward(client_reader, server_writer), _forward(server_reader, client_writer))
    return handle


def _via(dsn: str, port: int) -> tuple[str, str, int]:
    parts = urlsplit(dsn)
    return parts._replace(netloc=parts.netloc.replace(f"{parts.hostname}:{parts.port}", f"127.0.0.1:{port}")).geturl(), \
        parts.hostname, parts.port


async def test_a_pool_opened_while_the_database_is_away_comes_up_once_it_answers(db_dsn):
    port = _free_port()
    dsn, host, pg_port = _via(db_dsn, port)
    opening = asyncio.create_task(create_pool(dsn, min_size=1, max_size=2, wait_s=60))
    await asyncio.sleep(1.5)  # refused meanwhile: nothing listens on the port yet
    assert not opening.done()
    server = await asyncio.start_server(_forwarder_to(host, pg_port), "127.0.0.1", port)
    try:
        pool = await asyncio.wait_for(opening, 30)
        try:
            assert await pool.fetchval("SELECT 1") == 1
        finally:
            pool.terminate()
    finally:
        server.close()


async def test_without_a_wait_the_database_s_refusal_is_raised_at_once(db_dsn):
    dsn, _, _ = _via(db_dsn, _free_port())
    with pytest.raises(OSError):
        await create_pool(dsn, min_size=1, max_size=1)
