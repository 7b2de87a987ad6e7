"""The Codat adapter over real HTTP against a scripted Codat: what it sends, how answers and
failures map, the per-company throttle, and what it logs."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
from collections import Counter

import aiohttp
import pytest
from aiohttp import web

from services.core.errors import (
    ProviderDatasetNotReady,
    ProviderNotFound,
    ProviderRateLimited,
    ProviderRejected,
    ProviderUnavailable,
    ValidationFailed,
)
from services.core.settings import Settings
from services.providers import http_exchange
from services.providers.codat_extras import CodatExtras

API_KEY = "test-api-key-do-not-log"
C1, C2 = "0498e921-9b53-4396-a412-4f2f5983b0a2", "1498e921-9b53-4396-a412-4f2f5983b0a3"
CONN = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd"
CONNECTION = {"id": CONN, "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c", "integrationKey": "gbol",
              "sourceId": "s", "platformName": "Xero", "linkUrl": "https://link/start",
              "status": "PendingAuth", "created": "2024-01-01T00:00:00Z", "sourceType": "Accounting"}
INTEGRATIONS = [{"key": "gbol", "name": "Xero", "logoUrl": "u", "enabled": True},
                {"key": "qhyg", "name": "QuickBooks Online", "logoUrl": "u", "enabled": True}]
OPERATION = {"companyId": C1, "pushOperationKey": "e6d8c2b0-7a9f-4d1c-8a53-1f2c3d4e5f60",
             "dataConnectionKey": CONN, "requestedOnUtc": "2024-01-01T00:00:00Z", "dataType": "invoices",
             "status": "Pending", "statusCode": 202, "data": {"invoiceNumber": "INV-1"}}


def paged(results: list, request: web.Request, total: int | None = None) -> dict:
    page, size = int(request.query.get("page", 1)), int(request.query.get("pageSize", 100))
    total = len(results) if total is None else total
    links = {"self": {"href": request.path}, "current": {"href": request.path_qs}}
    if page * size < total:
        links["next"] = {"href": f"{request.path}?page={page + 1}&pageSize={size}"}
    return {"results": results[(page - 1) * size: page * size], "pageNumber": page, "pageSize": size,
            "totalResults": total, "_links": links}


@contextlib.asynccontextmanager
async def codat(routes: list, **settings):
    app = web.Application()
    app.router.add_routes(routes)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    config = Settings(provider_base_url=f"http://{host}:{port}", provider_api_key=API_KEY, **settings)
    try:
        async with aiohttp.ClientSession() as session:
            yield CodatExtras(config, session)
    finally:
        await runner.cleanup()


async def test_sends_basic_auth_and_a_sanitised_company_name():
    seen = []

    async def create(request):
        seen.append((request.headers["Authorization"], await request.json()))
        return web.json_response({"id": C1, "name": "Muller & Sohne", "redirect": "https://link/c",
                                  "tags": {"entity_id": "e1"}})
    async with codat([web.post("/companies", create)]) as adapter:
        company = await adapter.create_company("Müller & Söhne", {"entity_id": "e1"})
    assert seen == [("Basic " + base64.b64encode(API_KEY.encode()).decode(),
                     {"name": "Muller & Sohne", "description": "Müller & Söhne",
                      "tags": {"entity_id": "e1"}})]
    assert (company.id, company.link_url, company.tags) == (C1, "https://link/c", {"entity_id": "e1"})


async def test_create_connection_looks_the_key_up_once():
    calls = Counter()

    async def integrations(request):
        calls["integrations"] += 1
        return web.json_response(paged(INTEGRATIONS, request))

    async def connect(request):
        calls[(await request.json())["platformKey"]] += 1
        return web.json_response(CONNECTION)
    routes = [web.get("/integrations", integrations), web.post(f"/companies/{C1}/connections", connect)]
    async with codat(routes) as adapter:
        first = await adapter.create_connection(C1, "xero")
        await adapter.create_connection(C1, "QuickBooks Online")
        await adapter.create_connection(C1, "xero")
        with pytest.raises(ValidationFailed, match="Unknown platform 'sage'"):
            await adapter.create_connection(C1, "sage")
    assert calls == {"integrations": 2, "gbol": 2, "qhyg": 1}  # once, then once for the unknown one
    assert (first.id, first.status, first.platform, first.link_url) == (CONN, "pending_auth", "xero",
                                                                         "https://link/start")


async def test_iter_pages_walks_every_page_with_the_query():
    records = [{"id": str(i)} for i in range(5)]
    queries = []

    async def invoices(request):
        queries.append(dict(request.query))
        return web.json_response(paged(records, request))
    async with codat([web.get(f"/companies/{C1}/data/invoices", invoices)]) as adapter:
        pages = [p async for p in adapter.iter_pages(C1, "invoices", page_size=2, query="status=Paid")]
    assert [[r["id"] for r in p.results] for p in pages] == [["0", "1"], ["2", "3"], ["4"]]
    assert [p.has_next for p in pages] == [True, True, False] and pages[0].total == 5
    assert queries[0] == {"page": "1", "pageSize": "2", "query": "status=Paid"}
    with pytest.raises(ValueError):
        await adapter.list_page(C1, "invoices", page_size=5000)
    with pytest.raises(ValueError):
        await adapter.list_page(C1, "widgets")


async def test_push_sends_key_timeout_and_body():
    seen = []

    async def push(request):
        seen.append((request.headers.get("Idempotency-Key"), dict(request.query), await request.json()))
        return web.json_response(OPERATION)
    path = f"/companies/{C1}/connections/{CONN}/push/invoices"
    async with codat([web.post(path, push)]) as adapter:
        result = await adapter.push(C1, CONN, "invoices", {"invoiceNumber": "INV-1"}, "key-1", 30)
        await adapter.push(C1, CONN, "invoices", {"invoiceNumber": "INV-1"}, "key-1")
    assert seen == [("key-1", {"timeoutInMinutes": "30"}, {"invoiceNumber": "INV-1"}),
                    ("key-1", {}, {"invoiceNumber": "INV-1"})]
    assert (result.operation_id, result.status, result.record_id) == (OPERATION["pushOperationKey"],
                                                                      "pending", None)


async def test_refresh_disconnect_and_status_speak_codat_names():
    seen = []

    async def record(request):
        seen.append((request.method, request.path, dict(request.query),
                     await request.json() if request.can_read_body else None))
        if request.path.endswith("/data/all"):
            return web.Response(status=204)
        if request.path.endswith("/dataStatus"):
            return web.json_response({"chartOfAccounts": {"dataType": "chartOfAccounts",
                                                          "currentStatus": "Complete"}})
        return web.json_response({**CONNECTION, "status": "Unlinked"})
    routes = [web.route("*", "/{tail:.*}", record)]
    async with codat(routes) as adapter:
        await adapter.refresh_all(C1)
        await adapter.refresh_data_type(C1, "accounts", CONN)
        statuses = await adapter.data_status(C1)
        link = await adapter.disconnect(C1, CONN)
    assert seen == [("POST", f"/companies/{C1}/data/all", {}, None),
                    ("POST", f"/companies/{C1}/data/queue/chartOfAccounts", {"connectionId": CONN}, None),
                    ("GET", f"/companies/{C1}/dataStatus", {}, None),
                    ("PATCH", f"/companies/{C1}/connections/{CONN}", {}, {"status": "Unlinked"})]
    assert statuses["accounts"].is_complete and link.status == "disconnected"


ERROR = {"statusCode": 0, "service": "PublicApi", "error": "Nope", "correlationId": "c",
         "validation": {"errors": [{"itemId": "i", "message": "Customer missing", "validatorName": "V"}]},
         "canBeRetried": "Unknown", "detailedErrorCode": 0}


@pytest.mark.parametrize("status, headers, kind", [
    (400, {}, ProviderRejected), (404, {}, ProviderNotFound), (409, {}, ProviderDatasetNotReady),
    (429, {"Retry-After": "7"}, ProviderRateLimited), (500, {}, ProviderUnavailable),
    (503, {}, ProviderUnavailable)])
async def test_error_answers_map_to_the_error_tree(status, headers, kind):
    async def answer(request):
        return web.json_response({**ERROR, "statusCode": status}, status=status, headers=headers)
    async with codat([web.get(f"/companies/{C1}/data/bills", answer)]) as adapter:
        with pytest.raises(kind) as caught:
            await adapter.list_page(C1, "bills")
    assert type(caught.value) is kind and caught.value.status == status and "Nope" in caught.value.message
    if status == 429:
        assert caught.value.retry_after == 7.0
    if status < 429:
        assert caught.value.context["errors"][0]["message"] == "Customer missing"


async def test_non_json_success_is_unavailable():
    async def html(request):
        return web.Response(text="<html>proxy</html>", content_type="text/html")
    async with codat([web.get(f"/companies/{C1}", html)]) as adapter:
        with pytest.raises(ProviderUnavailable, match="non-JSON"):
            await adapter.get_company(C1)


async def test_timeouts_and_refused_connections_are_unavailable():
    async def slow(request):
        await asyncio.sleep(2)
        return web.json_response({})
    async with codat([web.get(f"/companies/{C1}", slow)], provider_timeout_s=0.2) as adapter:
        with pytest.raises(ProviderUnavailable):
            await adapter.get_company(C1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with aiohttp.ClientSession() as session:
        adapter = CodatExtras(Settings(provider_base_url=f"http://127.0.0.1:{port}"), session)
        with pytest.raises(ProviderUnavailable):
            await adapter.list_integrations()


async def test_at_most_max_concurrency_calls_per_company():
    running, peak, total_peak = Counter(), Counter(), [0]

    async def company(request):
        cid = request.match_info["cid"]
        running[cid] += 1
        peak[cid] = max(peak[cid], running[cid])
        total_peak[0] = max(total_peak[0], sum(running.values()))
        await asyncio.sleep(0.05)
        running[cid] -= 1
        return web.json_response({"id": cid, "name": "n", "redirect": "r"})
    async with codat([web.get("/companies/{cid}", company)], provider_max_concurrency=2) as adapter:
        await asyncio.gather(*(adapter.get_company(cid) for cid in [C1] * 6 + [C2] * 6))
    assert peak == {C1: 2, C2: 2} and total_peak[0] == 4  # companies do not wait for each other


async def test_logs_one_debug_line_per_call_without_credentials(monkeypatch):
    lines = []

    class Recorder:
        def debug(self, event, **fields):
            lines.append((event, fields))
    monkeypatch.setattr(http_exchange, "log", Recorder())  # the line every provider client writes
    exchanges = []

    async def missing(request):
        return web.json_response({**ERROR, "statusCode": 404}, status=404)
    async with codat([web.get(f"/companies/{C1}", missing)]) as adapter:
        adapter.observer = exchanges.append
        with pytest.raises(ProviderNotFound):
            await adapter.get_company(C1)
    assert len(lines) == 1 and lines[0][0] == "provider.request"
    assert {k: v for k, v in lines[0][1].items() if k != "ms"} == {
        "method": "GET", "path": f"/companies/{C1}", "status": 404, "operation": "get_company"}
    assert API_KEY not in repr(lines) and "Basic" not in repr(lines)
    assert [(e.method, e.path, e.status) for e in exchanges] == [("GET", f"/companies/{C1}", 404)]
