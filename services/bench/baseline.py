"""`ledgersync bench baseline --events N`: the same round trip with only aio-pika, asyncpg and
aiohttp, the floor the full pipeline can be compared with.

Per message, as the pipeline does at its least: published with confirms to a quorum queue; a
consumer (ledgersync's prefetch) commits one transaction (inbox row + document row), POSTs the
document to a minimal provider endpoint that answers with JSON and, after the sandbox's push
delay, POSTs a webhook back; the webhook endpoint marks the row done in a transaction, which
stops the event's clock. No outbox relays, prerequisite checks, webhook signatures, queue hop
behind the webhook, provider validation or synced-record events: that is the difference."""
from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import aio_pika
import aiohttp
import asyncpg
import structlog
from aio_pika.abc import AbstractIncomingMessage
from aiohttp import web

from services.bench import documents
from services.bench.isolation import isolated
from services.bench.measure import Tracker, cpu_s, publish_all, timeout_for
from services.core.db import QueryCounter
from services.core.settings import Settings
from services.sandbox_provider.state import Timing

log = structlog.get_logger(__name__)
QUEUE = "bench.baseline"
SCHEMA = """
CREATE TABLE inbox (message_id text PRIMARY KEY, received_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE documents (id uuid PRIMARY KEY, data jsonb NOT NULL, status text NOT NULL,
                        operation_id text, updated_at timestamptz NOT NULL DEFAULT now());
"""


async def _count(conn: asyncpg.Connection, queries: QueryCounter) -> None:
    conn.add_query_logger(queries)


class Provider:
    """The provider's push endpoint and the receiver's webhook endpoint, two aiohttp apps."""

    def __init__(self, pool: asyncpg.Pool, tracker: Tracker, webhook_url: str, delay_s: float) -> None:
        self.pool, self.tracker, self.webhook_url, self.delay_s = pool, tracker, webhook_url, delay_s
        self.tasks: set[asyncio.Task] = set()
        self.http: aiohttp.ClientSession | None = None

    async def push(self, request: web.Request) -> web.Response:
        document = await request.json()
        operation = {"pushOperationKey": str(uuid.uuid4()), "status": "Pending", "dataType": "invoices"}
        task = asyncio.create_task(self._complete(document["id"], operation["pushOperationKey"]))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.json_response(operation)

    async def _complete(self, document_id: str, operation_id: str) -> None:
        await asyncio.sleep(self.delay_s)
        body = {"id": str(uuid.uuid4()), "eventType": "invoices.write.successful",
                "payload": {"pushOperationKey": operation_id, "documentId": document_id}}
        async with self.http.post(self.webhook_url, json=body) as response:
            response.raise_for_status()

    async def webhook(self, request: web.Request) -> web.Response:
        payload = (await request.json())["payload"]
        async with self.pool.acquire() as conn, conn.transaction():
            updated = await conn.fetchval(
                "UPDATE documents SET status = 'done', operation_id = $2, updated_at = now() "
                "WHERE id = $1 AND status <> 'done' RETURNING id", uuid.UUID(payload["documentId"]),
                payload["pushOperationKey"])
        if updated:
            self.tracker.finish(payload["documentId"])
        return web.json_response({"received": True})

    @contextlib.asynccontextmanager
    async def serving(self, push_port: int, webhook_port: int):
        runners = []
        async with aiohttp.ClientSession() as self.http:
            try:
                for port, route in ((push_port, web.post("/push/invoices", self.push)),
                                    (webhook_port, web.post("/webhooks", self.webhook))):
                    app = web.Application()
                    app.router.add_routes([route])
                    runner = web.AppRunner(app, access_log=None)
                    await runner.setup()
                    runners.append(runner)
                    await web.TCPSite(runner, "127.0.0.1", port).start()
                yield
            finally:
                for task in list(self.tasks):
                    task.cancel()
                for runner in runners:
                    await runner.cleanup()


def _consumer(pool: asyncpg.Pool, http: aiohttp.ClientSession, push_url: str):
    inflight: set[asyncio.Task] = set()

    async def process(message: AbstractIncomingMessage) -> None:
        try:
            event = json.loads(message.body)
            document = event["data"]
            async with pool.acquire() as conn, conn.transaction():
                first = await conn.fetchval("INSERT INTO inbox (message_id) VALUES ($1) ON CONFLICT DO NOTHING "
                                            "RETURNING true", event["id"])
                if first:
                    await conn.execute("INSERT INTO documents (id, data, status) VALUES ($1, $2::jsonb, 'pending')",
                                       uuid.UUID(document["id"]), json.dumps(document))
            if first:
                async with http.post(push_url, json=document) as response:
                    response.raise_for_status()
                    await response.json()
        except Exception as exc:  # noqa: BLE001 - a bench: say so and let the broker redeliver
            log.warning("bench.baseline_failed", error=repr(exc))
            await message.nack(requeue=True)
        else:
            await message.ack()

    async def on_message(message: AbstractIncomingMessage) -> None:
        task = asyncio.create_task(process(message))
        inflight.add(task)
        task.add_done_callback(inflight.discard)

    return on_message


async def run_baseline(settings: Settings, events: int, *, provider_delay_s: float | None = None,
                       rate: float | None = None) -> dict:
    """The bare-library round trip for ``events`` messages; returns the same keys as run_bench.
    ``provider_delay_s``: how long the provider takes before its webhook (default: the sandbox's)."""
    if events < 1:
        raise ValueError("events must be at least 1")
    delay = Timing().complete_after_s if provider_delay_s is None else provider_delay_s
    async with isolated(settings) as bench:
        queries = QueryCounter()  # asyncpg's default pool, counted the same way as the pipeline's
        queries.enable()
        pool = await asyncpg.create_pool(bench.database_url, min_size=1, max_size=bench.db_pool_max,
                                         init=lambda conn: _count(conn, queries))
        try:
            await pool.execute(SCHEMA)
            batch = documents.invoices(events, str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
            tracker = Tracker((e["data"]["id"] for e in batch),
                              {"cpu": cpu_s, "queries": lambda: queries.count})
            provider = Provider(pool, tracker, f"http://127.0.0.1:{bench.webhook_port}/webhooks", delay)
            async with provider.serving(bench.sandbox_port, bench.webhook_port), \
                    aiohttp.ClientSession() as http:
                amqp = await aio_pika.connect(bench.amqp_url)
                try:
                    channel = await amqp.channel(publisher_confirms=True)
                    await channel.declare_queue(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
                    consuming = await amqp.channel()
                    await consuming.set_qos(prefetch_count=bench.prefetch)
                    queue = await consuming.declare_queue(QUEUE, durable=True, arguments={"x-queue-type": "quorum"})
                    await queue.consume(_consumer(pool, http, f"http://127.0.0.1:{bench.sandbox_port}/push/invoices"))
                    publish_s = await publish_all(channel.default_exchange,
                                                  [(e["data"]["id"], QUEUE, e) for e in batch], tracker,
                                                  rate=rate)
                    await tracker.wait(timeout_for(events))
                finally:
                    await amqp.close()
        finally:
            await pool.close()
    return tracker.summary(publish_s=publish_s, prefetch=bench.prefetch,
                           provider_delay_ms=round(delay * 1000), rate=rate)
