"""The sandbox's webhook POSTs on kept-alive connections, for a fraction of what a
``ClientSession`` request costs (that was most of the sandbox's CPU per pushed invoice).

What goes on the wire is what aiohttp writes: the request line, ``Host``, the caller's headers,
aiohttp's default ``Accept`` and ``Accept-Encoding``, its ``User-Agent``, ``Content-Length``, in
that order, then the body; a failure reads as aiohttp's would (``ServerDisconnectedError:
Server disconnected``, ``TimeoutError``, ``ConnectionTimeoutError``). What it does not do itself
goes through the session, as before: https, a connection it cannot open (nothing is sent yet, so
the session's attempt is the only one and its error the one reported), more than ``LIMIT``
connections at once. Idle connections are closed after ``KEEPALIVE_S``, as aiohttp's are."""
from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp.http import SERVER_SOFTWARE
from yarl import URL

KEEPALIVE_S = 15.0  # aiohttp's connector's keep-alive timeout
LIMIT = 100         # and its limit of connections
NO_BODY = (204, 304)


class _Connection(asyncio.Protocol):
    """One connection; one request on it at a time."""

    def __init__(self, pool: Poster) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.buffer = bytearray()
        self.needed: int | None = None  # body bytes still to come once the head is read
        self.status = 0
        self.keep = False
        self.idle_since = 0.0

    def connection_made(self, transport) -> None:
        self.transport = transport

    def request(self, data: bytes) -> asyncio.Future:
        self.waiter = asyncio.get_running_loop().create_future()
        self.buffer.clear()
        self.needed = None
        self.transport.write(data)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():  # nothing was asked: not reusable
            self.transport.close()
            return
        self.buffer += data
        if self.needed is None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            try:
                self._head(bytes(self.buffer[:end]))
            except ValueError:
                self.fail(aiohttp.ClientConnectionError("Malformed HTTP response"))
                return
            del self.buffer[:end + 4]
        if len(self.buffer) >= self.needed:
            if len(self.buffer) > self.needed:  # more than was answered: not reusable
                self.keep = False
            self.waiter.set_result(self.status)

    def _head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        version, status = lines[0].split(b" ", 2)[:2]
        self.status = int(status)
        self.keep = version == b"HTTP/1.1"
        length = 0 if self.status in NO_BODY else None
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length" and length is None:
                length = int(value)
            elif name == b"transfer-encoding" or (name == b"connection" and value == b"close"):
                self.keep = False  # a chunked body is not read: the connection is closed instead
        if length is None:
            self.keep, length = False, 0
        self.needed = length

    def fail(self, exc: BaseException) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.pool.lost(self)
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(aiohttp.ServerDisconnectedError())


class Poster:
    """POSTs to one URL; ``post`` answers the response's status."""

    def __init__(self, session: aiohttp.ClientSession, url: str | URL) -> None:
        self._session = session
        self._url = URL(url)
        self._lean = self._url.scheme == "http" and bool(self._url.host)
        defaults = "".join(f"{k}: {v}\r\n" for k, v in aiohttp.ClientRequest.DEFAULT_HEADERS.items())
        self._head = f"POST {self._url.raw_path_qs} HTTP/1.1\r\nHost: {self._url.host_port_subcomponent}\r\n"
        self._tail = f"{defaults}User-Agent: {SERVER_SOFTWARE}\r\n"
        self._idle: list[_Connection] = []
        self._open = 0
        self._sweep: asyncio.TimerHandle | None = None

    def _request(self, headers: dict[str, str], body: bytes) -> bytes:
        given = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        return f"{self._head}{given}{self._tail}Content-Length: {len(body)}\r\n\r\n".encode() + body

    async def post(self, headers: dict[str, str], body: bytes, timeout: aiohttp.ClientTimeout) -> int:
        if not self._lean or timeout.total is None:
            return await self._session_post(headers, body, timeout)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout.total
        conn = self._take()
        if conn is None:
            if self._open >= LIMIT:
                return await self._session_post(headers, body, timeout)
            try:
                async with asyncio.timeout(timeout.total):
                    _, conn = await loop.create_connection(lambda: _Connection(self),
                                                           self._url.host, self._url.port)
            except TimeoutError:
                raise aiohttp.ConnectionTimeoutError(f"Connection timeout to host {self._url}") from None
            except OSError:  # not connected, nothing sent: the session's attempt says why
                return await self._session_post(headers, body, timeout)
            self._open += 1
        waiter = conn.request(self._request(headers, body))
        timer = loop.call_at(deadline, conn.fail, TimeoutError())
        try:
            status = await waiter
        except BaseException:
            conn.fail(aiohttp.ServerDisconnectedError())  # cancelled or failed: not reusable
            raise
        finally:
            timer.cancel()
        self._release(conn, loop)
        return status

    async def _session_post(self, headers: dict[str, str], body: bytes,
                            timeout: aiohttp.ClientTimeout) -> int:
        async with self._session.post(self._url, data=body, headers=headers, timeout=timeout) as response:
            return response.status

    def _take(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            conn = self._idle.pop()
            if conn.transport is not None and not conn.transport.is_closing() \
                    and now - conn.idle_since < KEEPALIVE_S:
                return conn
            conn.transport.close()
        return None

    def _release(self, conn: _Connection, loop: asyncio.AbstractEventLoop) -> None:
        if not conn.keep or conn.transport.is_closing():
            conn.transport.close()
            return
        conn.waiter, conn.idle_since = None, time.monotonic()
        self._idle.append(conn)
        if self._sweep is None:
            self._sweep = loop.call_later(KEEPALIVE_S, self._close_idle)

    def _close_idle(self) -> None:
        self._sweep = None
        now = time.monotonic()
        for conn in [c for c in self._idle if now - c.idle_since >= KEEPALIVE_S]:
            self._idle.remove(conn)
            conn.transport.close()
        if self._idle:
            self._sweep = asyncio.get_running_loop().call_later(KEEPALIVE_S, self._close_idle)

    def lost(self, conn: _Connection) -> None:
        self._open -= 1
        if conn in self._idle:
            self._idle.remove(conn)

    def close(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for conn in self._idle:
            conn.transport.close()
        self._idle.clear()
