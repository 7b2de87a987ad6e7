"""The one place that sends HTTP to Codat: auth, the per-company cap of concurrent calls (a
``Slots``: in PostgreSQL across replicas, or in memory) and Codat's error answers; the parts every
provider's client shares (sending, parsing, the observer, the log line and metric) are in
``http_exchange``."""
from __future__ import annotations

import base64
import time
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

import aiohttp

from services.core.errors import (
    ProviderDatasetNotReady,
    ProviderError,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
)
from services.providers.codat_mapping import validation_errors
from services.providers.http_exchange import (
    Exchange,
    Observer,
    Slots,
    close_call,
    json_payload,
    observe,
    parse_answer,
    query_of,
    send,
)

__all__ = ["CodatClient", "Exchange", "Observer", "Slots", "error_for", "retry_after_seconds"]
DEFAULT_RETRY_AFTER_S = 30.0


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
        query, payload = query_of(params), json_payload(body)
        sent = {"Authorization": self._auth, "Accept": "application/json", **(headers or {})}
        started, status, error, answer = time.perf_counter(), None, None, None
        try:
            async with self._slots.slot(company_id or ""):
                status, text, answered = await send(self._session, method, self._base_url + path, query=query,
                                                    headers=sent, payload=payload, timeout=self._timeout)
            answer, is_json = parse_answer(text)
            observe(self.observer, method, path, query, body, status, answer)
            if not 200 <= status < 300:
                error = error_for(status, answer, answered.get("Retry-After"), f"{method} {path}", dataset=dataset)
            elif not is_json:
                error = ProviderUnavailable(f"Codat answered {method} {path} with non-JSON",
                                            status=status, body=text[:500])
        except (TimeoutError, aiohttp.ClientError) as exc:
            error = ProviderUnavailable(f"Codat {method} {path} failed: {exc!r}", exc_type=type(exc).__name__)
        close_call(operation, method, path, status, started, error)
        return answer


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
