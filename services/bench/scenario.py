"""The pipeline bench's setup, through the paths a partner and upstream services use: a partner,
a token, entity.created, a product that maps, a connection allowed on the consent page, and a
customer pushed once, so every invoice afterwards only needs its own push."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aio_pika
import aiohttp
from aio_pika.abc import AbstractExchange

from services.auth.partners import create_partner
from services.bench import documents
from services.bench.isolation import BenchError
from services.core.db import create_pool
from services.core.settings import Settings

VERSION = "2024-05-25"
SEEDED_ITEM = "Consulting Hour"  # an item of the sandbox's seeded ledger: the product maps by name


@dataclass(frozen=True)
class Shop:
    entity_id: str
    connection_id: str
    product_id: str
    counterpart_id: str


async def publish(exchange: AbstractExchange, *events: dict) -> None:
    for event in events:  # one at a time, each confirmed by the broker
        await exchange.publish(aio_pika.Message(json.dumps(event).encode(), content_type="application/json",
                                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                               routing_key=event["type"])


async def wait_until(check: Callable[[], Awaitable[object]], what: str, timeout: float = 60.0,
                     every: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while not (result := await check()):
        if time.monotonic() > deadline:
            raise BenchError(f"setup: timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(every)
    return result


class Api:
    """The partner API as a partner calls it, for one entity."""

    def __init__(self, http: aiohttp.ClientSession, bench: Settings, token: str, entity_id: str) -> None:
        self.http, self.base = http, f"http://127.0.0.1:{bench.api_port}/v1"
        self.headers = {"Authorization": f"Bearer {token}", "X-Monite-Version": VERSION,
                        "X-Monite-Entity-Id": entity_id}

    async def call(self, method: str, path: str, **kwargs) -> tuple[int, dict]:
        async with self.http.request(method, self.base + path, headers=self.headers, **kwargs) as response:
            body = await response.json(content_type=None) if response.content_length != 0 else {}
            return response.status, body

    async def ok(self, method: str, path: str, **kwargs) -> dict:
        status, body = await self.call(method, path, **kwargs)
        if status >= 300:
            raise BenchError(f"setup: {method} {path} answered {status}: {body}")
        return body

    async def record(self, object_type: str, object_id: str) -> dict | None:
        found = await self.ok("GET", "/accounting_synced_records",
                              params={"object_type": object_type, "object_id": object_id})
        return found["data"][0] if found["data"] else None

    async def wait_done(self, object_type: str, object_id: str) -> dict:
        async def settled():
            record = await self.record(object_type, object_id)
            return record if record and record["sync_status"] in ("done", "error") else None
        record = await wait_until(settled, f"the {object_type} {object_id} to be pushed or matched")
        if record["sync_status"] != "done":
            raise BenchError(f"setup: the {object_type} record ended in error: {record['errors']}")
        return record


async def _token(http: aiohttp.ClientSession, bench: Settings) -> tuple[str, str]:
    pool = await create_pool(bench.database_url, 1, 1)
    try:
        creds = await create_partner(pool, "Bench Platform")
    finally:
        await pool.close()
    async with http.post(f"http://127.0.0.1:{bench.api_port}/v1/auth/token", headers={"X-Monite-Version": VERSION},
                         json={"grant_type": "client_credentials", "client_id": creds.client_id,
                               "client_secret": creds.client_secret}) as response:
        if response.status != 200:
            raise BenchError(f"setup: POST /v1/auth/token answered {response.status}: {await response.text()}")
        return creds.partner_id, (await response.json())["access_token"]


async def _connect(http: aiohttp.ClientSession, api: Api) -> str:
    created = await api.ok("POST", "/accounting_connections")
    async with http.post(created["connection_url"], data={"platform": "Xero", "action": "allow"}) as response:
        if response.status != 200:
            raise BenchError(f"setup: the consent form answered {response.status}: {await response.text()}")

    async def pulled():
        connection = await api.ok("GET", f"/accounting_connections/{created['id']}")
        return connection["status"] == "connected" and connection["last_pull"] and connection
    await wait_until(pulled, "the connection to be connected and its first pull done")
    return created["id"]


async def connected_entity(http: aiohttp.ClientSession, bench: Settings, exchange: AbstractExchange) -> Shop:
    partner_id, token = await _token(http, bench)
    entity_id = str(uuid.uuid4())
    await publish(exchange, documents.cloud_event("entity.created", documents.entity(entity_id, partner_id),
                                                  entity_id))
    api = Api(http, bench, token, entity_id)

    async def known():
        return (await api.call("GET", "/accounting_connections"))[0] == 200
    await wait_until(known, f"entity {entity_id} to be registered")
    product_id, counterpart_id = str(uuid.uuid4()), str(uuid.uuid4())
    await publish(exchange, documents.cloud_event("product.created", documents.product(product_id, SEEDED_ITEM),
                                                  entity_id))
    connection_id = await _connect(http, api)
    await api.wait_done("product", product_id)
    await publish(exchange, documents.cloud_event(
        "counterpart.created", documents.counterpart(counterpart_id, f"Bench Kunde {entity_id[:8]} GmbH"), entity_id))
    await api.wait_done("customer", counterpart_id)
    return Shop(entity_id, connection_id, product_id, counterpart_id)
