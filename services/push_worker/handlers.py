"""The push-worker's tables: event type → handler, command name → handler."""
from __future__ import annotations

from functools import partial

from services.connections import sync
from services.core.resources import Resources
from services.push_worker.entities import apply_entity


def event_handlers(res: Resources) -> dict:
    return {"entity.created": apply_entity, "entity.updated": apply_entity}


def command_handlers(res: Resources) -> dict:
    return {"sync_connection": partial(sync.start_refresh, res.pool, res.adapter)}
