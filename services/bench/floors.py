"""The bare floors the webhook receiver and the list API are compared with, each a process of
its own, run as ``python -m services.bench.floors webhooks|records --port P --dsn D``:

- ``webhooks``: aiohttp + standardwebhooks + asyncpg: verify the signature, one INSERT of the
  delivery (once per webhook id), 204;
- ``records``: aiohttp + asyncpg: one keyset page of synced records (entity, object type,
  created after a moment, 100 by created_at, id) as JSON.
Nothing else: no auth, logs, metrics or contracts. That is the difference. Each runs on the event
loop the services run on (``LEDGERSYNC_EVENT_LOOP``: uvloop by default), so the loop is no part
of the difference either."""
from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime

import asyncpg
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.core.settings import Settings

DELIVERIES = """CREATE TABLE IF NOT EXISTS floor_deliveries
    (webhook_id text PRIMARY KEY, body jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())"""
PAGE = """SELECT id, object_type, object_id, sync_status, errors, platform, provider, provider_object_id,
    platform_object_id, created_at, updated_at FROM synced_records
    WHERE entity_id = $1 AND object_type = $2 AND created_at > $3 ORDER BY created_at, id LIMIT 100"""


def webhooks_app(pool: asyncpg.Pool, secret: str) -> web.Application:
    signer = Webhook(secret)

    async def receive(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            signer.verify(raw, {k.lower(): v for k, v in request.headers.items()}, json_parse=False)
        except WebhookVerificationError:
            return web.Response(status=401)
        await pool.execute("INSERT INTO floor_deliveries (webhook_id, body) VALUES ($1, $2::jsonb) "
                           "ON CONFLICT DO NOTHING", request.headers["webhook-id"], raw.decode())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/webhooks/{provider}", receive)
    return app


def records_app(pool: asyncpg.Pool) -> web.Application:
    async def page(request: web.Request) -> web.Response:
        rows = await pool.fetch(PAGE, request.headers["X-Monite-Entity-Id"], request.query["object_type"],
                                datetime.fromisoformat(request.query["created_at__gt"]))
        data = [{k: (v.isoformat() if isinstance(v, datetime) else str(v) if k.endswith("id") and v else v)
                 for k, v in r.items()} for r in rows]
        return web.json_response({"data": data}, dumps=json.dumps)

    app = web.Application()
    app.router.add_get("/v1/accounting_synced_records", page)
    return app


async def serve(kind: str, port: int, dsn: str, secret: str) -> web.Application:
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=10)
    if kind == "webhooks":
        await pool.execute(DELIVERIES)
        return webhooks_app(pool, secret)
    return records_app(pool)


def _same_loop_as_the_services() -> None:
    if Settings().event_loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            return
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["webhooks", "records"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--secret", default="")
    args = parser.parse_args()
    _same_loop_as_the_services()
    web.run_app(serve(args.kind, args.port, args.dsn, args.secret), host="127.0.0.1", port=args.port,
                access_log=None, print=None)


if __name__ == "__main__":
    main()
