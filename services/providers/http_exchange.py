"""What every provider's HTTP client shares: the exchange an observer sees (contract tests), the
per-key cap of concurrent calls (``Slots``), one request sent with a timeout and without
following redirects, the answer's parsing, and the debug line plus metric that close each call."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

import aiohttp
import structlog

from services.core import metrics
from services.core.errors import ProviderError
from services.core.jsonio import json_bytes, json_value

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as sent and received (for contract tests)."""
    method: str
    path: str  # with the query string, without the base URL
    request_body: object  # the JSON sent, None without a body
    status: int
    response_body: object  # parsed JSON; None when empty; the text when not JSON


Observer = Callable[[Exchange], None]


class Slots(Protocol):
    """Concurrent calls per company or connection: ``async with slots.slot(key)`` around each call."""

    def slot(self, key: str) -> AbstractAsyncContextManager: ...


def query_of(params: Mapping[str, object] | None) -> dict[str, str]:
    """Query parameters as strings, without the ones left out (None)."""
    return {k: str(v) for k, v in (params or {}).items() if v is not None}


def json_payload(body: object) -> bytes | None:
    return json_bytes(body) if body is not None else None


async def send(session: aiohttp.ClientSession, method: str, url: str, *, query: dict, headers: dict,
               payload: bytes | None, timeout: aiohttp.ClientTimeout) -> tuple[int, str, Mapping[str, str]]:
    """(status, body text, headers) of one request; redirects are answers, never followed."""
    sent = dict(headers)
    if payload is not None:
        sent["Content-Type"] = "application/json"
    async with session.request(method, url, params=query, data=payload, headers=sent, timeout=timeout,
                               allow_redirects=False, raise_for_status=False) as response:
        text = (await response.read()).decode("utf-8", errors="replace")
        return response.status, text, response.headers


def parse_answer(text: str) -> tuple[object, bool]:
    """(answer, whether it is JSON or empty): None when empty, the text itself when not JSON."""
    if not text.strip():
        return None, True
    try:
        return json_value(text), True
    except ValueError:
        return text, False


def observe(observer: Observer | None, method: str, path: str, query: dict, body: object, status: int,
            answer: object) -> None:
    if observer is not None:
        full = f"{path}?{urlencode(query)}" if query else path
        observer(Exchange(method, full, body, status, answer))


def outcome(error: ProviderError | None) -> str:
    """The metric label of a call's outcome: ok, or the error's class."""
    return "ok" if error is None else type(error).__name__


def close_call(operation: str, method: str, path: str, status: int | None, started: float,
               error: ProviderError | None) -> None:
    """The debug line and the metric of one finished call; raises the call's error, if any."""
    log.debug("provider.request", method=method, path=path, status=status,
              ms=round((time.perf_counter() - started) * 1000, 1), operation=operation)
    metrics.PROVIDER_CALLS.labels(operation, outcome(error)).inc()
    if error is not None:
        raise error
