"""The API's error middleware on a real aiohttp server: a provider's permanent refusal is a 502
carrying its reason, without Retry-After; a provider that is down is a 503 with Retry-After."""
from __future__ import annotations

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.api.error_responses import errors_middleware
from services.core.errors import ProviderNotFound, ProviderRateLimited, ProviderRejected, ProviderUnavailable

RAISED = {
    "rejected": ProviderRejected("Codat answered 400: companyName must not be empty", status=400),
    "not_found": ProviderNotFound("Codat answered 404: company 8a1c… not found", status=404),
    "down": ProviderUnavailable("Codat answered 503", status=503),
    "limited": ProviderRateLimited("Codat answered 429", status=429, retry_after=7),
    "deadlock": asyncpg.DeadlockDetectedError("deadlock detected"),
    "serialization": asyncpg.SerializationError("could not serialize access due to concurrent update"),
}


async def _raise(request: web.Request) -> web.Response:
    raise RAISED[request.match_info["kind"]]


@pytest.fixture
async def api():
    app = web.Application(middlewares=[errors_middleware])
    app.router.add_post("/{kind}", _raise)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize("kind, reason", [("rejected", "companyName must not be empty"),
                                          ("not_found", "company 8a1c… not found")])
async def test_a_permanent_provider_refusal_is_a_502_with_its_reason(api, kind, reason):
    answer = await api.post(f"/{kind}")
    assert answer.status == 502
    assert "Retry-After" not in answer.headers
    message = (await answer.json())["error"]["message"]
    assert message.startswith("The accounting provider refused the request") and reason in message


@pytest.mark.parametrize("kind, retry_after", [("down", "5"), ("limited", "7")])
async def test_a_provider_that_is_down_is_a_503_with_retry_after(api, kind, retry_after):
    answer = await api.post(f"/{kind}")
    assert answer.status == 503 and answer.headers["Retry-After"] == retry_after
    assert "try again" in (await answer.json())["error"]["message"]


@pytest.mark.parametrize("kind", ["deadlock", "serialization"])
async def test_a_transaction_postgres_aborted_for_a_concurrent_one_is_a_503_never_a_500(api, kind):
    answer = await api.post(f"/{kind}")
    assert answer.status == 503 and answer.headers["Retry-After"] == "1"
    assert "concurrent change" in (await answer.json())["error"]["message"]
