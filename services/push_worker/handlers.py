"""The push-worker's tables: event type → handler, command name → handler."""
from __future__ import annotations

from functools import partial

from services.connections import sync
from services.core.resources import Resources
from services.pull.run import pull_connection
from services.push_worker.entities import apply_entity
from services.push_worker.mirrors import apply_counterpart, apply_product


def event_handlers(res: Resources) -> dict:
    return {"entity.created": apply_entity, "entity.updated": apply_entity,
            "counterpart.created": apply_counterpart, "counterpart.updated": apply_counterpart,
            "product.created": apply_product, "product.updated": apply_product}


def command_handlers(res: Resources) -> dict:
    return {"sync_connection": partial(sync.start_refresh, res.pool, res.adapter),
            "pull_connection": partial(pull_connection, res)}
