"""The one place that POSTs to partners: short timeout, no redirects, and no private targets
unless allowed (checked on the addresses actually connected to, so DNS cannot sneak past)."""
from __future__ import annotations

import asyncio
import errno
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp.resolver import ThreadedResolver

from services.partner_webhooks.policy import address_allowed, url_problem  # noqa: F401 - url_problem re-exported

RESPONSE_CHARS = 1000


class TargetRefused(OSError):
    """Raised when a URL is, or resolves to, an address partners may not make us call."""


class GuardedResolver(ThreadedResolver):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET):
        hosts = await super().resolve(host, port, family)
        refused = [h["host"] for h in hosts if not address_allowed(h["host"], self.allow_private)]
        if refused:
            raise TargetRefused(errno.EACCES, f"{host} resolves to a private, loopback or "
                                              f"link-local address ({', '.join(refused)}); refused")
        return hosts


@dataclass(frozen=True)
class Answer:
    status: int | None     # None: no HTTP answer (timeout, refused, connection error)
    text: str              # the body (cut) or the error
    seconds: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def session(allow_private: bool, limit: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(allow_private), limit=limit,
                                     limit_per_host=0, ttl_dns_cache=60)
    return aiohttp.ClientSession(connector=connector, raise_for_status=False,
                                 headers={"User-Agent": "ledgersync-webhooks"})


async def post(http: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str],
               timeout_s: float, allow_private: bool) -> Answer:
    started = time.perf_counter()
    problem = url_problem(url, allow_private)
    if problem:
        return Answer(None, f"refused: the URL {problem}", 0.0)
    try:
        async with http.post(url, data=body, headers={"Content-Type": "application/json", **headers},
                             allow_redirects=False,
                             timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            text = (await resp.content.read(RESPONSE_CHARS * 4)).decode("utf-8", "replace")[:RESPONSE_CHARS]
            if 300 <= resp.status < 400:
                text = f"redirect to {resp.headers.get('Location', '?')} not followed"
            return Answer(resp.status, text, time.perf_counter() - started)
    except asyncio.TimeoutError:
        return Answer(None, f"timed out after {timeout_s:g} s", time.perf_counter() - started)
    except (aiohttp.ClientError, OSError) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:RESPONSE_CHARS], time.perf_counter() - started)


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""
