"""What a partner does from outside: tokens, the official SDK, events on domain.events."""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import aio_pika
import httpx
from monite import Monite

from tests.support import syncrun

VERSION = "2024-05-25"


def token(api_url: str, partner: dict) -> str:
    resp = httpx.post(f"{api_url}/v1/auth/token", headers={"X-Monite-Version": VERSION},
                      json={"grant_type": "client_credentials", "client_id": partner["client_id"],
                            "client_secret": partner["client_secret"]})
    assert resp.status_code == 200, resp.text
    return resp.json()["access_token"]


# One HTTP client under every SDK of the run, closed when the run ends (tests/conftest.py): an SDK's
# own client would leave its pooled connections to the garbage collector, a ResourceWarning each.
_SDK_HTTP = httpx.Client(timeout=60, follow_redirects=True)


def sdk(api_url: str, access_token: str, entity_id: str | None = None) -> Monite:
    return Monite(base_url=f"{api_url}/v1", monite_version=VERSION, monite_entity_id=entity_id,
                  token=access_token, httpx_client=_SDK_HTTP)


def close() -> None:
    """Close the SDKs' HTTP client (at the end of the run)."""
    _SDK_HTTP.close()


def cloud_event(type_: str, data: dict, entity_id: str, event_id: str | None = None) -> dict:
    return {"specversion": "1.0", "id": event_id or str(uuid.uuid4()), "source": "tests",
            "type": type_, "time": datetime.now(UTC).isoformat(), "entityid": entity_id,
            "datacontenttype": "application/json", "data": data}


async def _publish(amqp_url: str, messages: list[tuple[str, bytes]]) -> None:
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange("domain.events", aio_pika.ExchangeType.TOPIC,
                                                  durable=True)
        for routing_key, body in messages:
            await exchange.publish(aio_pika.Message(body, content_type="application/json",
                                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                                   routing_key=routing_key)
    finally:
        await connection.close()


def publish(amqp_url: str, *events: dict | tuple[str, bytes]) -> None:
    """Publish CloudEvents (dicts, routed by type) or raw (routing_key, body) pairs."""
    messages = [e if isinstance(e, tuple) else (e["type"], json.dumps(e).encode()) for e in events]
    syncrun.run(_publish(amqp_url, messages))


def entity_data(entity_id: str, partner_id: str, name: str = "Bäckerei Müller GmbH", **extra) -> dict:
    return {"id": entity_id, "partner_id": partner_id, "name": name, "base_currency": "EUR",
            "updated_at": datetime.now(UTC).isoformat(), **extra}


def wait_for(check: Callable[[], object], timeout: float = 15.0, every: float = 0.1, what: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or check}")
        time.sleep(every)
