"""Look before you create: before a customer or supplier is written for a counterpart, ask the
accounting system for the current candidates and link, create or explain (``sync.lookup``).

Runs once per logical push, before its write is planned: a push whose attempt exists already
re-sends that attempt's body (the same key), never a re-decided one."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import structlog

from services.core.errors import ProviderRateLimited
from services.providers.base import ProviderAdapter
from services.push import parking, transitions
from services.sync import lookup
from services.sync import record_lifecycle as lifecycle
from services.sync.matching import Party, record_party
from services.sync.platforms import platform_name

log = structlog.get_logger(__name__)
NAME_FIELDS = {"customers": "customerName", "suppliers": "supplierName"}


async def _load(conn, record_id: uuid.UUID, generation: int):
    """(record, connection, counterpart) when this push still has to decide, else None."""
    record = await conn.fetchrow("SELECT * FROM synced_records WHERE id = $1 FOR UPDATE", record_id)
    if record is None or record["object_type"] not in lookup.ROLES \
            or not lifecycle.SyncedRecord.from_row(record).is_current(generation):
        return None
    if await conn.fetchval("SELECT 1 FROM push_attempts WHERE record_id = $1 AND generation = $2",
                           record_id, generation):
        return None
    connection = await conn.fetchrow("SELECT * FROM accounting_connections WHERE id = $1", record["connection_id"])
    counterpart = await conn.fetchrow("SELECT * FROM counterparts WHERE id = $1", record["object_id"])
    paused = lifecycle.Connection.from_row(connection).paused(datetime.now(UTC))
    if connection["status"] != "connected" or counterpart is None or paused:
        return None  # the push itself says why (or parks it)
    return record, connection, counterpart


async def _waits_for_first_role(conn, record, counterpart) -> bool:
    """A counterpart that is both: its vendor is decided once its customer has settled."""
    if record["object_type"] != "vendor" or not counterpart["is_customer"]:
        return False
    first = await conn.fetchrow("SELECT id, sync_status FROM synced_records WHERE connection_id = $1 AND "
                                "object_type = 'customer' AND object_id = $2 FOR UPDATE",
                                record["connection_id"], record["object_id"])
    if first is None or not lookup.second_role_waits("vendor", True, first["sync_status"]):
        return False
    await conn.execute("UPDATE synced_records SET waiting_for = $2 WHERE id = $1", record["id"], first["id"])
    log.info("push.waiting", waiting_for=str(first["id"]), reason="the counterpart's customer is decided first")
    return True


async def _taken(conn, record, platform: str | None) -> dict[str, str]:
    """Provider ids already mapped to another counterpart → that counterpart's name."""
    roles = list(lookup.ROLES) if platform in lookup.SHARED_CONTACTS else [record["object_type"]]
    rows = await conn.fetch(
        "SELECT r.provider_object_id, c.name FROM synced_records r JOIN counterparts c ON c.id = r.object_id "
        "WHERE r.connection_id = $1 AND r.object_type = ANY($2::text[]) AND r.object_id <> $3 "
        "AND r.sync_status = 'done' AND r.provider_object_id IS NOT NULL",
        record["connection_id"], roles, record["object_id"])
    return {r["provider_object_id"]: r["name"] for r in rows}


async def _found(adapter: ProviderAdapter, connection, queries: list[lookup.Query]) -> list[lookup.Found]:
    found = []
    for query in queries:
        answer = await adapter.find_by_name(connection["provider_company_id"], query.data_type, query.names)
        for data in answer:
            deleted = bool((data.get("metadata") or {}).get("isDeleted"))
            party = record_party(str(data["id"]), data, NAME_FIELDS[query.data_type])
            found.append(lookup.Found(query.data_type, party, not deleted and data.get("status") != "Archived"))
    return found


async def look_before_create(pool, adapter: ProviderAdapter, record_id: uuid.UUID, generation: int) -> bool:
    """False when the look-up settled this push (linked, explained, or waiting for the counterpart's
    first role); True when the push goes on (to create the contact, or as it would anyway)."""
    async with pool.acquire() as conn, conn.transaction():
        loaded = await _load(conn, record_id, generation)
        if loaded is None:
            return True  # nothing to decide here: the push handles it as it is
        record, connection, counterpart = loaded
        if await _waits_for_first_role(conn, record, counterpart):
            return False
        taken = await _taken(conn, record, connection["platform"])
    role, platform = record["object_type"], connection["platform"]
    both = bool(counterpart["is_customer"] and counterpart["is_vendor"])
    target = Party(str(counterpart["id"]), counterpart["name"], counterpart["country"], counterpart["city"],
                   counterpart["line1"], label=counterpart["name"])
    try:
        found = await _found(adapter, connection, lookup.look_ups(counterpart["name"], role, platform, both))
    except ProviderRateLimited as exc:
        await parking.rate_limited(pool, connection["id"], record_id, generation, exc.retry_after)
        return False
    decision = lookup.before_create(target, role, platform, both, found, taken)
    log.info("push.looked_up", decision=decision.kind, candidates=len(found), provider_object_id=decision.provider_id)
    if decision.kind == "create":
        return True
    async with pool.acquire() as conn, conn.transaction():
        if await _load(conn, record_id, generation) is None:
            return True  # changed meanwhile (a duplicate delivery): the push sees how
        if decision.kind == "link":
            await transitions.done(conn, record, decision.provider_id, None)
        else:
            problem = lookup.problem(decision, role, counterpart["name"], platform_name(connection))
            await transitions.fail(conn, record, [problem])
    return False

