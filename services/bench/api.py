"""`ledgersync bench api --rows N --requests R --concurrency C`: the synced-records list at scale.

N receivable records of one entity (created one second apart), then R requests, C at a time,
of `GET /v1/accounting_synced_records?object_type=receivable&sort=created_at&limit=100&
created_at__gt=<a random moment>`, against `ledgersync api` alone (a process of its own, with
a partner's bearer token), then against the bare floor (floors.py: aiohttp + asyncpg, the same
keyset page as JSON, no auth) on the same rows."""
from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import aiohttp

from services.auth.partners import create_partner
from services.bench.isolation import BenchError, free_port, isolated, wait_ready
from services.bench.load import Request, compare, load, wait_listening
from services.bench.procs import processes
from services.bench.scenario import VERSION
from services.core.db import create_pool
from services.core.migrate import migrate
from services.core.settings import Settings

CHUNK = 100_000
SEED = """INSERT INTO synced_records (id, entity_id, connection_id, object_type, object_id, sync_status, provider,
    platform, provider_object_id, platform_object_id, object_updated_at, created_at, updated_at)
SELECT gen_random_uuid(), $1, $2, 'receivable', gen_random_uuid(), 'done', 'codat', 'xero', 'inv-' || g, 'inv-' || g,
    $3::timestamptz + g * interval '1 second', $3::timestamptz + g * interval '1 second',
    $3::timestamptz + g * interval '1 second'
FROM generate_series($4::int, $5::int) g"""


async def seed(dsn: str, rows: int) -> tuple[dict, str, datetime]:
    """A partner, its entity with a connection and ``rows`` records; (credentials, entity id, first moment)."""
    pool = await create_pool(dsn, 1, 2)
    try:
        creds = await create_partner(pool, "Bench Platform")
        entity, connection = uuid.uuid4(), uuid.uuid4()
        await pool.execute("INSERT INTO entities (id, partner_id, name) VALUES ($1, $2, 'Bench Shop')",
                           entity, uuid.UUID(creds.partner_id))
        await pool.execute("INSERT INTO accounting_connections (id, entity_id, provider, status, platform) "
                           "VALUES ($1, $2, 'codat', 'connected', 'xero')", connection, entity)
        start = datetime.now(UTC) - timedelta(seconds=rows + 60)
        for low in range(1, rows + 1, CHUNK):
            await pool.execute(SEED, entity, connection, start, low, min(low + CHUNK - 1, rows), timeout=600)
        await pool.execute("ANALYZE synced_records")
    finally:
        await pool.close()
    return {"client_id": creds.client_id, "client_secret": creds.client_secret}, str(entity), start


async def token(port: int, creds: dict) -> str:
    async with aiohttp.ClientSession() as http, http.post(
            f"http://127.0.0.1:{port}/v1/auth/token", headers={"X-Monite-Version": VERSION},
            json={"grant_type": "client_credentials", **creds}) as response:
        if response.status != 200:
            raise BenchError(f"POST /v1/auth/token answered {response.status}: {await response.text()}")
        return (await response.json())["access_token"]


def pages(count: int, base: str, headers: dict, start: datetime, rows: int) -> list[Request]:
    rng = random.Random(rows)
    out = []
    for _ in range(count):
        moment = start + timedelta(seconds=rng.uniform(0, max(rows - 100, 1)))
        query = f"object_type=receivable&sort=created_at&limit=100&created_at__gt={moment.isoformat()}"
        out.append(Request("GET", f"{base}/v1/accounting_synced_records?{query.replace('+', '%2B')}", headers))
    return out


async def run_api(settings: Settings, rows: int = 1_000_000, count: int = 3000, concurrency: int = 16) -> dict:
    async with isolated(settings) as bench:
        await migrate(bench.database_url)
        creds, entity, start = await seed(bench.database_url, rows)
        async with processes() as running:
            await running.start(bench, "api")
            await wait_ready([bench.api_port], 60)
            headers = {"Authorization": f"Bearer {await token(bench.api_port, creds)}",
                       "X-Monite-Version": VERSION, "X-Monite-Entity-Id": entity}
            ours = await load(pages(count, f"http://127.0.0.1:{bench.api_port}", headers, start, rows), concurrency)
            await running.stop()
            port = free_port()
            await running.start(bench, "records", "--port", str(port), "--dsn", bench.database_url,
                                module="services.bench.floors")
            await wait_listening(port)
            floor = await load(pages(count, f"http://127.0.0.1:{port}", headers, start, rows), concurrency)
    return {"rows": rows, "requests": count, "concurrency": concurrency, "api": ours, "floor": floor,
            **compare(ours, floor)}
