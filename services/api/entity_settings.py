"""GET and PATCH /v1/entities/{entity_id}/settings (the accounting part)."""
from __future__ import annotations

import structlog
from aiohttp import web

from contracts.api import AccountingSettingsPayload, EntitySettingsResponse
from services.api.context import dump, entity_id, parse_body, res

log = structlog.get_logger(__name__)


def _merge(current: dict, patch: dict) -> dict:
    merged = dict(current)
    for key, value in patch.items():
        merged[key] = _merge(merged.get(key) or {}, value) if isinstance(value, dict) else value
    return merged


async def get_settings(request: web.Request) -> web.Response:
    entity = await entity_id(request, "entity_id")
    stored = await res(request).pool.fetchval("SELECT accounting_settings FROM entities WHERE id = $1",
                                              entity)
    return dump(EntitySettingsResponse(accounting=stored or None))


async def patch_settings(request: web.Request) -> web.Response:
    entity = await entity_id(request, "entity_id")
    body = await parse_body(request, AccountingSettingsPayload)
    patch = body.model_dump(mode="json", exclude_unset=True).get("accounting") or {}
    async with res(request).pool.acquire() as conn, conn.transaction():
        current = await conn.fetchval(
            "SELECT accounting_settings FROM entities WHERE id = $1 FOR UPDATE", entity)
        merged = _merge(current or {}, patch)
        await conn.execute("UPDATE entities SET accounting_settings = $2, updated_at = now() "
                           "WHERE id = $1", entity, merged)
    log.info("entity.settings_changed", keys=sorted(patch))
    return dump(EntitySettingsResponse(accounting=merged or None))


def routes() -> list[web.RouteDef]:
    return [web.get("/v1/entities/{entity_id}/settings", get_settings),
            web.patch("/v1/entities/{entity_id}/settings", patch_settings)]
