"""The one place that sends HTTP to Railz: the access token (client id + secret key, renewed
before its 60 minutes run out, one renewal at a time per process, one retry on a 401), the
per-connection cap of concurrent calls (a ``Slots``), timeouts, error mapping, a debug line and a metric per call, and an
optional observer that sees every exchange (contract tests)."""
from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Mapping

import aiohttp
import jwt
import structlog

from services.core import metrics
from services.core.errors import ProviderError, ProviderRateLimited, ProviderRejected, ProviderUnavailable
from services.providers.http_exchange import (
    Observer,
    Slots,
    close_call,
    json_payload,
    observe,
    outcome,
    parse_answer,
    query_of,
    send,
)
from services.providers.railz_mapping import error_for

log = structlog.get_logger(__name__)
TOKEN_LIFETIME_S = 3600.0  # Railz: 60 minutes
RENEW_BEFORE_S = 300.0     # renew this long before the token runs out
GET_RETRY_DELAYS_S = (0.2, 0.8)  # a failed GET is asked again after these pauses


class RailzClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, auth_url: str, client_id: str,
                 secret_key: str, *, slots: Slots, timeout_s: float, observer: Observer | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._session = session
        self._base_url, self._auth_url = base_url.rstrip("/"), auth_url
        self._basic = "Basic " + base64.b64encode(f"{client_id}:{secret_key}".encode()).decode()
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._slots = slots  # per connection; "" is for calls about no connection
        self._token: str | None = None
        self._renew_at = 0.0
        self._token_lock = asyncio.Lock()
        self._clock = clock
        self.observer = observer
        self.token_fetches = 0  # how many tokens this process asked for (tests, metrics)

    # ---- the access token ------------------------------------------------------------------

    async def token(self, stale: str | None = None) -> str:
        """The current token; a new one when it is about to expire or is ``stale`` (refused)."""
        async with self._token_lock:
            if self._token is None or self._token == stale or self._clock() >= self._renew_at:
                self._token, lifetime = await self._fetch_token()
                self._renew_at = self._clock() + max(lifetime - min(RENEW_BEFORE_S, lifetime / 4), 1.0)
            return self._token

    async def _fetch_token(self) -> tuple[str, float]:
        self.token_fetches += 1
        started, status = time.perf_counter(), None
        try:
            async with self._session.get(self._auth_url, headers={"Authorization": self._basic,
                                                                  "Accept": "application/json"},
                                         timeout=self._timeout, allow_redirects=False) as response:
                status, text = response.status, (await response.read()).decode("utf-8", errors="replace")
        except (TimeoutError, aiohttp.ClientError) as exc:
            metrics.PROVIDER_CALLS.labels("get_access", "ProviderUnavailable").inc()
            raise ProviderUnavailable(f"Railz token request failed: {exc!r}") from exc
        finally:
            log.debug("provider.token", status=status, ms=round((time.perf_counter() - started) * 1000, 1))
        answer, _ = parse_answer(text)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not 200 <= status < 300 or not isinstance(token, str):
            error = error_for(status, answer, {}, "GET /getAccess") if status >= 300 else ProviderUnavailable(
                "Railz's token answer carries no access_token", status=status)
            metrics.PROVIDER_CALLS.labels("get_access", outcome(error)).inc()
            raise error
        metrics.PROVIDER_CALLS.labels("get_access", "ok").inc()
        return token, _lifetime(answer, token)

    # ---- calls -----------------------------------------------------------------------------

    async def call(self, method: str, path: str, *, operation: str, connection_id: str | None = None,
                   params: Mapping[str, object] | None = None, body: object = None, read: bool = False) -> object:
        """The parsed JSON answer (None when empty) to a 2xx; else the mapped ProviderError. A 401
        renews the token and tries once more; ``read``: 202 means the data is still syncing. A GET
        that meets a 5xx or a timeout is asked again shortly (it changes nothing); a write never
        is: its outcome is unknown and is looked up first."""
        for delay in (*GET_RETRY_DELAYS_S, None) if method == "GET" else (None,):
            try:
                return await self._call(method, path, operation=operation, connection_id=connection_id,
                                        params=params, body=body, read=read)
            except ProviderRateLimited:
                raise
            except ProviderUnavailable:
                if delay is None:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _call(self, method: str, path: str, *, operation: str, connection_id: str | None,
                    params: Mapping[str, object] | None, body: object, read: bool, attempts: int = 2) -> object:
        query, payload = query_of(params), json_payload(body)
        started, status, error, stale, answer = time.perf_counter(), None, None, None, None
        try:
            for _ in range(attempts):
                token = await self.token(stale)
                sent = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
                async with self._slots.slot(connection_id or ""):
                    status, text, headers = await send(self._session, method, self._base_url + path, query=query,
                                                       headers=sent, payload=payload, timeout=self._timeout)
                answer, is_json = parse_answer(text)
                observe(self.observer, method, path, query, body, status, answer)
                if status != 401:
                    break
                stale = token
            if not 200 <= status < 300:
                error = error_for(status, answer, dict(headers), f"{method} {path}")
            elif status == 202 and read:
                error = error_for(status, answer, dict(headers), f"{method} {path}", read=True)
            elif not is_json:
                error = ProviderUnavailable(f"Railz answered {method} {path} with non-JSON", status=status,
                                            body=text[:500])
        except (TimeoutError, aiohttp.ClientError) as exc:
            error = ProviderUnavailable(f"Railz {method} {path} failed: {exc!r}", exc_type=type(exc).__name__)
        except ProviderError as exc:  # the token could not be had
            error = exc if isinstance(exc, ProviderUnavailable) else ProviderRejected(
                f"Railz refused the API keys: {exc.message}", status=exc.status, body=exc.body)
        close_call(operation, method, path, status, started, error)
        return answer


def _lifetime(answer: dict, token: str) -> float:
    """Seconds the token lives: ``expires_in`` if given, else the JWT's ``exp``, else 60 minutes."""
    given = answer.get("expires_in")
    if isinstance(given, (int, float)) and not isinstance(given, bool) and given > 0:
        return float(given)
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return TOKEN_LIFETIME_S
    if isinstance(claims.get("exp"), (int, float)) and isinstance(claims.get("iat"), (int, float)):
        return max(float(claims["exp"] - claims["iat"]), 1.0)
    return TOKEN_LIFETIME_S
