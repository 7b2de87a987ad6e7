"""Matching after a pull: the partner's counterparts and products against the pulled records."""
from __future__ import annotations

import uuid

import structlog

from contracts.events import make_event
from services.core.outbox import enqueue
from services.core.topology import OWN_EXCHANGE
from services.pull import mapped, store
from services.synced_records import repo as records
from services.sync import record_errors
from services.sync.lookup import as_counterpart
from services.sync.matching import Party, match_counterparts, match_products, record_party
from services.sync.money import to_minor
from services.sync.platforms import platform_name

log = structlog.get_logger(__name__)
ROLES = (("customer", "customers", "is_customer", "customerName"),
         ("vendor", "suppliers", "is_vendor", "supplierName"))


def provider_party(row, name_field: str) -> Party:
    return record_party(row["provider_id"], row["data"], name_field)


def partner_party(row) -> Party:
    return Party(str(row["id"]), row["name"], row["country"], row["city"], row["line1"], label=row["name"])


def _found(row, pulled_at) -> dict:
    data = row["data"]
    return {"sync_status": "done", "errors": None, "provider_object_id": row["provider_id"],
            "platform_object_id": row["provider_id"], "last_pulled_at": pulled_at,
            "provider_updated_at": row["modified_at"],
            "platform_updated_at": store.parse_time(data.get("sourceModifiedDate")) or row["modified_at"]}


async def match_counterpart_roles(conn, connection, pulled_at, only: uuid.UUID | None = None) -> dict:
    stats = {"matched": 0, "multiple_matches": 0, "unmatched": 0}
    system = platform_name(connection)
    for object_type, data_type, flag, name_field in ROLES:
        theirs = mapped.usable(await store.records(conn, connection["id"], data_type))
        ours = await conn.fetch(f"SELECT * FROM counterparts WHERE entity_id = $1 AND {flag}",
                                connection["entity_id"])
        by_id = {str(r["id"]): r for r in ours}
        keep = await mapped.settled(conn, connection["id"], object_type)  # stable: never matched again
        outcomes = match_counterparts([partner_party(r) for r in ours],
                                      [as_counterpart(provider_party(r, name_field), object_type,
                                                      connection["platform"]) for r in theirs.values()])
        for outcome in outcomes:
            if (only is not None and outcome.object_id != str(only)) or outcome.object_id in keep:
                continue
            stats[outcome.kind] += 1
            oid = uuid.UUID(outcome.object_id)
            if outcome.kind == "matched":
                await records.save(conn, connection, object_type, oid, **_found(theirs[outcome.provider_id], pulled_at))
            elif outcome.kind == "multiple_matches":
                problem = record_errors.multiple_counterparts(object_type, by_id[outcome.object_id]["name"], system,
                                                       outcome.candidates)
                await records.save(conn, connection, object_type, oid, sync_status="error",
                                   errors=record_errors.as_errors([problem]), last_pulled_at=pulled_at)
    return stats


async def _discover(conn, connection, item, pulled_at, currency: str | None) -> None:
    data = item["data"]
    product_id = uuid.uuid4()
    invoice = data.get("invoiceItem") or {}
    account = (invoice.get("accountRef") or {}).get("id")
    account_id = str(store.record_id(connection["id"], "accounts", account)) if account else None
    price = to_minor(invoice.get("unitPrice"), currency) if invoice.get("unitPrice") is not None else None
    await conn.execute("INSERT INTO products (id, entity_id, name, origin, data) VALUES ($1, $2, $3, "
                       "'discovered', $4)", product_id, connection["entity_id"], data.get("name"), data)
    record = await records.save(conn, connection, "product", product_id, **_found(item, pulled_at))
    event = make_event("product.discovered", {
        "synced_record_id": str(record["id"]), "name": data.get("name"),
        "description": invoice.get("description") or data.get("description"),
        "type": "service" if data.get("type") == "Service" else "product",
        "price": {"value": price, "currency": currency} if price is not None and currency else None,
        "ledger_account_id": account_id, "provider_object_id": item["provider_id"],
        "platform_object_id": item["provider_id"], "connection_id": str(connection["id"]),
        "product_id": str(product_id)}, entity_id=str(connection["entity_id"]))
    await enqueue(conn, OWN_EXCHANGE, event["type"], event, message_id=event["id"])
    log.info("product.discovered", product_id=str(product_id), item_id=item["provider_id"])


async def match_product_names(conn, connection, pulled_at, currency: str | None) -> dict:
    items = mapped.usable(await store.records(conn, connection["id"], "items"))
    ours = await conn.fetch("SELECT id, name FROM products WHERE entity_id = $1", connection["entity_id"])
    result = match_products([Party(str(r["id"]), r["name"], label=r["name"]) for r in ours],
                            [Party(i["provider_id"], i["name"], label=f"{i['name']} (id {i['provider_id']})")
                             for i in items.values()])
    stats = {"matched": 0, "multiple_matches": 0, "unmatched": 0, "created": 0}
    keep = await mapped.settled(conn, connection["id"], "product")  # stable: never matched again
    taken = await mapped.mapped_ids(conn, connection["id"], "product")  # renamed there: still ours
    for outcome in result.outcomes:
        if outcome.object_id in keep:
            continue
        stats[outcome.kind] += 1
        oid = uuid.UUID(outcome.object_id)
        if outcome.kind == "matched":
            await records.save(conn, connection, "product", oid, **_found(items[outcome.provider_id], pulled_at))
        elif outcome.kind == "multiple_matches":
            name = next(r["name"] for r in ours if str(r["id"]) == outcome.object_id)
            problem = record_errors.multiple_products(name, platform_name(connection), outcome.candidates)
            await records.save(conn, connection, "product", oid, sync_status="error",
                               errors=record_errors.as_errors([problem]), last_pulled_at=pulled_at)
    for party in (p for p in result.to_create if p.id not in taken):
        await _discover(conn, connection, items[party.id], pulled_at, currency)
        stats["created"] += 1
    return stats
