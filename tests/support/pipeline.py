"""ledgersync's push pipeline in-process, for service tests: the push-worker's two tables, the
webhook receiver and processor, and the API app, on the test's own database and a provider (the
port double or the real adapter). What the outbox would hand RabbitMQ is relayed by the real
``OutboxRelay`` to a publisher that keeps it, and delivered by hand to the consumer of its queue:
commands to the command consumer, stored-webhook references to the webhook processor. Nothing
runs in the background: ``run()`` works until the outbox is quiet.

Only entry points are called (``event_handlers``/``make_domain_consumer``, ``command_handlers``
with ``make_command_consumer``, ``make_webhook_consumer``, ``create_app`` of both HTTP apps).

PYTEST_DONT_REWRITE
"""
from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from contracts.commands import Command, parse_command
from contracts.events import make_event
from services.api.app import create_app as create_api
from services.app_keys import AppDeps
from services.core.errors import PermanentError, RetryableError
from services.core.outbox import OutboxRelay
from services.core.settings import Settings
from services.core.topology import COMMANDS, OWN_EXCHANGE, WEBHOOKS
from services.providers.base import ProviderAdapter
from services.push_worker.command_consumer import make_command_consumer
from services.push_worker.handlers import command_handlers, event_handlers
from services.push_worker.inbox import make_domain_consumer
from services.webhook_receiver.app import create_app as create_receiver
from services.webhook_receiver.intake import Intake
from services.webhook_receiver.processor import make_webhook_consumer
from tests.support import client
from tests.support.port_double import SECRET_HEADER

REDELIVERIES = 3  # a message whose handler raises a RetryableError is delivered again this often


@dataclass
class Message:
    """What a consumer reads of a delivered message (the parts of aio_pika's that ours use)."""
    body: bytes
    routing_key: str
    exchange: str = ""
    message_id: str | None = None
    headers: dict = field(default_factory=dict)
    redelivered: bool = False  # the broker's flag: an earlier delivery of it was never acked

    def json(self) -> dict:
        return json.loads(self.body)


class KeepingPublisher:
    """The relay's publisher: keeps every message instead of sending it to a broker."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def publish(self, exchange: str, routing_key: str, body: bytes | dict, *, message_id: str | None = None,
                      headers: dict | None = None, expiration_ms: int | None = None) -> None:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        self.sent.append(Message(raw, routing_key, exchange, message_id, dict(headers or {})))


async def ready() -> dict:
    return {"database": "ok", "broker": "ok", "consumers": {}}


class Pipeline:
    def __init__(self, pool: asyncpg.Pool, adapter: ProviderAdapter, settings: Settings) -> None:
        self.pool, self.adapter, self.settings = pool, adapter, settings
        intake = Intake(6)
        self.domain = make_domain_consumer(pool, event_handlers(pool, adapter))
        self.commands = make_command_consumer(command_handlers(pool, adapter))
        self.webhooks = make_webhook_consumer(pool, adapter, settings.provider, intake)
        self.publisher = KeepingPublisher()
        self.relay = OutboxRelay(pool, self.publisher)
        deps = AppDeps(settings, pool, adapter)
        self.api = TestClient(TestServer(create_api(deps, ready)))
        self.receiver = TestClient(TestServer(create_receiver(deps, ready, intake)))
        self.ran: list[Command] = []                          # every command handled, in order
        self.announced: list[dict] = []                       # events on ledgersync.events
        self.retried: list[tuple[Message, Exception]] = []    # redelivered after a RetryableError
        self.dead: list[tuple[Message, Exception]] = []       # dead-lettered: PermanentError

    async def __aenter__(self) -> Pipeline:
        await self.api.start_server()
        await self.receiver.start_server()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.api.close()
        await self.receiver.close()

    # ---- what arrives from outside ----

    async def event(self, type_: str, data: dict, entity_id: str, *, event_id: str | None = None,
                    redelivered: bool = False) -> dict:
        """A domain event delivered to the push-worker's queue; the outbox it fills is not run yet."""
        event = make_event(type_, data, entity_id, source="tests", id=event_id)
        await asyncio.create_task(self.domain(Message(json.dumps(event).encode(), type_, "domain.events",
                                                      event["id"], redelivered=redelivered)))
        return event

    async def events_together(self, *events: tuple[str, dict, str], redelivered: bool = False) -> list[dict]:
        """Domain events (type, data, entity id) delivered together: the push-worker's batch takes
        them in one transaction, then runs what each left for after the commit."""
        made = [make_event(type_, data, entity_id, source="tests") for type_, data, entity_id in events]
        messages = [Message(json.dumps(e).encode(), e["type"], "domain.events", e["id"], redelivered=redelivered)
                    for e in made]
        work = await asyncio.create_task(self.domain.batch(messages))
        await asyncio.gather(*(w() for w in work if w is not None))
        return made

    async def webhook(self, body: dict, *, webhook_id: str | None = None, secret: str | None = None):
        """A provider webhook POSTed to the receiver (the double's kind); its answer."""
        headers = {SECRET_HEADER: secret or self.settings.provider_webhook_secret,
                   "webhook-id": webhook_id or body["id"], "Content-Type": "application/json"}
        response = await self.receiver.post(f"/webhooks/{self.settings.provider}", data=json.dumps(body),
                                            headers=headers)
        return response.status, await response.json()

    async def webhook_as_sent(self, raw: bytes, headers: dict[str, str]) -> int:
        """A webhook exactly as a provider sent it (raw body, its signature headers); the status."""
        keep = {k: v for k, v in headers.items() if k.lower().startswith(("webhook-", "svix-", "railz-", "content-"))}
        response = await self.receiver.post(f"/webhooks/{self.settings.provider}", data=raw, headers=keep)
        return response.status

    # ---- the outbox, relayed and consumed ----

    async def relay_all(self) -> list[Message]:
        before = len(self.publisher.sent)
        while await self.relay.relay_once():
            pass
        return self.publisher.sent[before:]

    async def run(self, rounds: int = 40) -> None:
        """Relay the outbox and consume what it sent, and what that queued, until nothing is left."""
        for _ in range(rounds):
            sent = await self.relay_all()
            if not sent:
                return
            for message in sent:
                if message.exchange == "" and message.routing_key == COMMANDS.name:
                    self.ran.append(parse_command(message.body))
                    await self._deliver(self.commands, message)
                elif message.exchange == "" and message.routing_key.startswith(f"{COMMANDS.name}.retry."):
                    # a delayed retry: the broker hands it back to the queue after the tier's delay
                    self.retried.append((message, RetryableError(message.routing_key)))
                    self.ran.append(parse_command(message.body))
                    await self._deliver(self.commands, message)
                elif message.exchange == "" and message.routing_key == WEBHOOKS.name:
                    await self._deliver(self.webhooks, message)
                elif message.exchange == OWN_EXCHANGE:
                    self.announced.append(message.json())
        raise AssertionError(f"the outbox was still busy after {rounds} rounds")

    async def _deliver(self, consume, message: Message) -> None:
        for _ in range(REDELIVERIES):
            try:
                await asyncio.create_task(consume(message))  # a context of its own, as each delivery has
                return
            except PermanentError as exc:
                self.dead.append((message, exc))
                return
            except RetryableError as exc:
                self.retried.append((message, exc))
        self.dead.append((message, self.retried[-1][1]))

    def commands_named(self, name: str) -> list[Command]:
        return [c for c in self.ran if c.name == name]

    def status_changes(self, object_id: str) -> list[tuple[str | None, str]]:
        """(previous, new) of each synced_record.status_changed of one object, in order."""
        return [(e["data"]["previous_status"], e["data"]["sync_status"]) for e in self.announced
                if e["type"] == "synced_record.status_changed" and e["data"]["object_id"] == str(object_id)]

    # ---- rows ----

    async def record(self, object_type: str, object_id) -> asyncpg.Record | None:
        return await self.pool.fetchrow("SELECT * FROM synced_records WHERE object_type = $1 AND object_id = $2",
                                        object_type, uuid.UUID(str(object_id)))

    async def attempts(self, record_id) -> list[asyncpg.Record]:
        return await self.pool.fetch("SELECT * FROM push_attempts WHERE record_id = $1 ORDER BY generation, "
                                     "requested_at", record_id)

    # ---- the API, as a partner ----

    async def token(self, partner) -> str:
        response = await self.api.post("/v1/auth/token", json={
            "grant_type": "client_credentials", "client_id": partner.client_id,
            "client_secret": partner.client_secret}, headers={"X-Monite-Version": client.VERSION})
        assert response.status == 200, await response.text()
        return (await response.json())["access_token"]
