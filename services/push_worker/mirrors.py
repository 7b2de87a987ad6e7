"""counterpart.* and product.*: keep mirrors of the partner's objects, so matching works
whichever side appeared first; when connected, match the object right away."""
from __future__ import annotations

import structlog

from services import entities
from services.connections.repo import connected_for_entity
from services.pull import match, store
from services.sync.record_lifecycle import is_stale

log = structlog.get_logger(__name__)


async def _is_stale(conn, table: str, event) -> bool:
    stored = await conn.fetchval(f"SELECT source_updated_at FROM {table} WHERE id = $1 FOR UPDATE",
                                 event.data.id)
    if is_stale(stored, event.data.updated_at):
        log.info("event.stale_ignored", stored=stored.isoformat())
        return True
    return False


async def apply_counterpart(conn, event) -> object:
    """Returns the entity's connected connection (or None) for follow-up work (the push)."""
    await entities.require(conn, event.entityid)
    if await _is_stale(conn, "counterparts", event):
        return None
    d, a = event.data, event.data.address
    await conn.execute(
        """INSERT INTO counterparts (id, entity_id, type, name, is_customer, is_vendor, email, country, city,
                                     postal_code, line1, line2, data, source_updated_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
           ON CONFLICT (id) DO UPDATE SET type = EXCLUDED.type, name = EXCLUDED.name,
             is_customer = EXCLUDED.is_customer, is_vendor = EXCLUDED.is_vendor, email = EXCLUDED.email,
             country = EXCLUDED.country, city = EXCLUDED.city, postal_code = EXCLUDED.postal_code,
             line1 = EXCLUDED.line1, line2 = EXCLUDED.line2, data = EXCLUDED.data,
             source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
           WHERE counterparts.entity_id = EXCLUDED.entity_id""",
        d.id, event.entityid, d.type, d.name, d.is_customer, d.is_vendor, d.email,
        a.country if a else None, a.city if a else None, a.postal_code if a else None,
        a.line1 if a else None, a.line2 if a else None, d.model_dump(mode="json"), d.updated_at)
    connection = await connected_for_entity(conn, event.entityid)
    if connection is not None and connection["last_pull"] is not None:
        await match.match_counterpart_roles(conn, connection, store.now(), only=d.id)
    return connection


async def apply_product(conn, event) -> None:
    await entities.require(conn, event.entityid)
    if await _is_stale(conn, "products", event):
        return
    d = event.data
    # a product the partner created for an item we discovered: adopt the link, drop our stand-in
    stand_in = await conn.fetchval(
        "SELECT id FROM products WHERE entity_id = $1 AND origin = 'discovered' AND id <> $2 "
        "AND lower(name) = lower($3) LIMIT 1", event.entityid, d.id, d.name)
    if stand_in is not None and not await conn.fetchval("SELECT 1 FROM products WHERE id = $1", d.id):
        await conn.execute("UPDATE synced_records SET object_id = $2, updated_at = now() "
                           "WHERE object_type = 'product' AND object_id = $1", stand_in, d.id)
        await conn.execute("DELETE FROM products WHERE id = $1", stand_in)
        log.info("product.discovery_adopted", stand_in=str(stand_in))
    await conn.execute(
        """INSERT INTO products (id, entity_id, name, origin, data, source_updated_at)
           VALUES ($1, $2, $3, 'partner', $4, $5)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, origin = 'partner', data = EXCLUDED.data,
             source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
           WHERE products.entity_id = EXCLUDED.entity_id""",
        d.id, event.entityid, d.name, d.model_dump(mode="json"), d.updated_at)
    connection = await connected_for_entity(conn, event.entityid)
    if connection is not None and connection["last_pull"] is not None:
        currency = await conn.fetchval("SELECT base_currency FROM entities WHERE id = $1", event.entityid)
        await match.match_product_names(conn, connection, store.now(), currency)
