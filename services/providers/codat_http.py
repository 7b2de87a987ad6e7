"""The one place that sends HTTP to Codat: auth, the per-company cap of concurrent calls (a
``Slots``: in PostgreSQL across replicas, or in memory), timeouts, error mapping, a debug line
and a metric per call, and an optional observer that sees every exchange."""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urlencode

import aiohttp
import structlog

from services.core import metrics
from services.core.errors import (
    ProviderDatasetNotReady,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from services.providers.codat_mapping import validation_errors

log = structlog.get_logger(__name__)
DEFAULT_RETRY_AFTER_S = 30.0


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
    """Concurrent calls per company: ``async with slots.slot(company_id)`` around each call."""

    def slot(self, key: str) -> AbstractAsyncContextManager: ...


def _outcome(error: ProviderError | None) -> str:
    return "ok" if error is None else type(error).__name__


class CodatClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, api_key: str, *,
                 slots: Slots, timeout_s: float, observer: Observer | None = None) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._auth = "Basic " + base64.b64encode(api_key.encode()).decode()
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._slots = slots  # "" is for calls about no company
        self.observer = observer

    async def call(self, method: str, path: str, *, operation: str, company_id: str | None = None,
                   params: Mapping[str, object] | None = None, body: object = None,
                   headers: Mapping[str, str] | None = None, dataset: bool = False) -> object:
        """The parsed JSON answer (None when empty) to a 2xx; else the mapped ProviderError."""
        query = {k: str(v) for k, v in (params or {}).items() if v is not None}
        sent = {"Authorization": self._auth, "Accept": "application/json", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        started, status, error = time.perf_counter(), None, None
        try:
            async with self._slots.slot(company_id or ""):
                status, text, retry_after = await self._send(method, path, query, sent, payload)
            answer, is_json = _parse(text)
            if self.observer is not None:
                full = f"{path}?{urlencode(query)}" if query else path
                self.observer(Exchange(method, full, body, status, answer))
            if not 200 <= status < 300:
                error = error_for(status, answer, retry_after, f"{method} {path}", dataset=dataset)
            elif not is_json:
                error = ProviderUnavailable(f"Codat answered {method} {path} with non-JSON",
                                            status=status, body=text[:500])
        except (TimeoutError, aiohttp.ClientError) as exc:
            error = ProviderUnavailable(f"Codat {method} {path} failed: {exc!r}", exc_type=type(exc).__name__)
        finally:
            log.debug("provider.request", method=method, path=path, status=status,
                      ms=round((time.perf_counter() - started) * 1000, 1), operation=operation)
        metrics.PROVIDER_CALLS.labels(operation, _outcome(error)).inc()
        if error is not None:
            raise error
        return answer

    async def _send(self, method: str, path: str, query: dict, headers: dict,
                    payload: bytes | None) -> tuple[int, str, str | None]:
        async with self._session.request(method, self._base_url + path, params=query, data=payload,
                                         headers=headers, timeout=self._timeout,
                                         allow_redirects=False, raise_for_status=False) as response:
            text = (await response.read()).decode("utf-8", errors="replace")
            return response.status, text, response.headers.get("Retry-After")


def _parse(text: str) -> tuple[object, bool]:
    """(answer, whether it is JSON or empty)."""
    if not text.strip():
        return None, True
    try:
        return json.loads(text), True
    except ValueError:
        return text, False


def retry_after_seconds(header: str | None) -> float:
    """Retry-After as seconds: delta-seconds or an HTTP date; the default when absent or bad."""
    if not header:
        return DEFAULT_RETRY_AFTER_S
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(header)
        return max(0.0, (moment - datetime.now(moment.tzinfo)).total_seconds())
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER_S


def error_for(status: int, body: object, retry_after: str | None, what: str, *,
              dataset: bool = False) -> ProviderError:
    """The exception for a Codat error answer to ``what`` ("GET /companies/x"); ``dataset``:
    the call read a dataset, where 409 means "not requested yet or still syncing"."""
    detail = body.get("error") if isinstance(body, dict) else None
    message = f"Codat answered {status} to {what}" + (f": {detail}" if detail else "")
    errors = validation_errors(body.get("validation")) if isinstance(body, dict) else []
    if status == 429:
        return ProviderRateLimited(message, status=status, body=body,
                                   retry_after=retry_after_seconds(retry_after))
    if status >= 500:
        return ProviderUnavailable(message, status=status, body=body,
                                   retry_after=retry_after_seconds(retry_after) if retry_after else None)
    if status == 404:
        return ProviderNotFound(message, status=status, body=body, errors=errors)
    if status == 409 and dataset:
        return ProviderDatasetNotReady(message, status=status, body=body, errors=errors,
                                       retry_after=retry_after_seconds(retry_after))
    return ProviderRejected(message, status=status, body=body, errors=errors)
