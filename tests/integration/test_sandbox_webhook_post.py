"""The sandbox's own webhook POSTs (http_post.Poster) against a session's: the same bytes on
the wire, the same outcome and the same error text for every way a delivery ends."""
from __future__ import annotations

import asyncio
import functools

import aiohttp
import pytest

from services.sandbox_provider.http_post import Poster
from services.sandbox_provider.testing import free_port

HEADERS = {"content-type": "application/json", "webhook-id": "msg_1", "webhook-timestamp": "1764680400",
           "webhook-signature": "v1,c2lnbmF0dXJl"}
BODY = '{"id":"e1","payload":{"note":"Grüße"}}'.encode()
TIMEOUT = aiohttp.ClientTimeout(total=0.5)


class Server:
    """A raw HTTP server that records what arrives and answers as told."""

    def __init__(self, answer: bytes | None) -> None:
        self.answer, self.requests, self.connections = answer, [], 0
        self.tasks: set[asyncio.Task] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.tasks.add(asyncio.current_task())
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:"))
                self.requests.append(head + await reader.readexactly(length))
                if self.answer is None:
                    break  # hangs up without answering
                if self.answer == b"hang":
                    await asyncio.sleep(2)
                writer.write(self.answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def outcome(post) -> str:
    try:
        return f"HTTP {await post()}"
    except (TimeoutError, aiohttp.ClientError) as exc:
        return f"{type(exc).__name__}: {exc}"


def session_post_of(session: aiohttp.ClientSession, url: str):
    async def post(headers, body, timeout) -> int:
        async with session.post(url, data=body, headers=headers, timeout=timeout) as response:
            return response.status
    return post


async def both(answer: bytes | None, port: int | None = None) -> tuple[list, list, int]:
    """The poster's outcomes of two posts, the requests it sent and the connections it made,
    once its outcomes and requests are shown to be the session's."""
    server = Server(answer)
    listening = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{port or listening.sockets[0].getsockname()[1]}/webhooks/codat?x=1"
    results = []
    for lean in (False, True):
        server.requests, server.connections = [], 0
        async with aiohttp.ClientSession() as session:
            poster, session_post = Poster(session, url), session_post_of(session, url)
            post = functools.partial(poster.post if lean else session_post, HEADERS, BODY, TIMEOUT)
            got = [await outcome(post), await outcome(post)]
            poster.close()
        results.append((got, server.requests, server.connections))
    listening.close()
    for task in server.tasks:
        task.cancel()
    await asyncio.gather(*server.tasks, return_exceptions=True)
    await asyncio.sleep(0)  # the transports' closing callbacks
    (session_got, session_sent, _), (lean_got, lean_sent, connections) = results
    assert lean_got == session_got
    assert lean_sent == session_sent
    return lean_got, lean_sent, connections


OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n{\"status\":\"accepted\"}"


async def test_the_same_request_and_one_kept_alive_connection():
    got, sent, connections = await both(OK)
    assert got == ["HTTP 200", "HTTP 200"] and len(sent) == 2 and connections == 1
    assert sent[0].startswith(b"POST /webhooks/codat?x=1 HTTP/1.1\r\nHost: 127.0.0.1:")


@pytest.mark.parametrize("answer, expected", [
    (b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", "HTTP 500"),
    (b"HTTP/1.1 204 No Content\r\n\r\n", "HTTP 204"),
    (b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", "HTTP 202"),
    (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", "HTTP 200"),
    (None, "ServerDisconnectedError: Server disconnected"),
    (b"hang", "TimeoutError: "),
])
async def test_every_ending_reads_the_same(answer, expected):
    got, _, _ = await both(answer)
    assert got[0] == expected


async def test_a_refused_connection_is_the_sessions_error():
    got, sent, _ = await both(OK, port=free_port())
    assert got[0].startswith("ClientConnectorError: Cannot connect to host 127.0.0.1:") and not sent
