"""entity.created / entity.updated: keep the entity and its accounting settings."""
from __future__ import annotations

import uuid

import asyncpg
import structlog

from services.core.errors import PermanentError
from services.sync.record_lifecycle import is_stale

log = structlog.get_logger(__name__)


async def apply_entity(conn: asyncpg.Connection, event) -> None:
    data = event.data
    if str(data.id) != str(event.entityid):
        raise PermanentError(f"entity event for {data.id} carries entityid {event.entityid}")
    partner = uuid.UUID(str(data.partner_id))
    if not await conn.fetchval("SELECT 1 FROM partners WHERE id = $1", partner):
        raise PermanentError(f"unknown partner {partner}; create it with `ledgersync partner create`")
    updated_at = getattr(data, "updated_at", None) or event.time
    current = await conn.fetchrow("SELECT partner_id, source_updated_at FROM entities WHERE id = $1 "
                                  "FOR UPDATE", data.id)
    if current and current["partner_id"] != partner:
        raise PermanentError(f"entity {data.id} belongs to another partner")
    if current and is_stale(current["source_updated_at"], updated_at):
        log.info("entity.stale_event_ignored", stored=current["source_updated_at"].isoformat())
        return
    accounting = None
    if data.settings is not None and data.settings.accounting is not None:
        accounting = data.settings.accounting.model_dump(mode="json", exclude_none=True)
    await conn.execute(
        """INSERT INTO entities (id, partner_id, name, base_currency, accounting_settings, source_updated_at)
           VALUES ($1, $2, $3, $4, COALESCE($5::jsonb, '{}'::jsonb), $6)
           ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, base_currency = EXCLUDED.base_currency,
               accounting_settings = COALESCE($5::jsonb, entities.accounting_settings),
               source_updated_at = EXCLUDED.source_updated_at, updated_at = now()""",
        data.id, partner, data.name, data.base_currency, accounting, updated_at)
    log.info("entity.stored", partner_id=str(partner), created=current is None)
