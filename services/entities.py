"""Entities as the features read them (``push_worker.entity_events`` keeps them from their events)."""
from __future__ import annotations

import uuid

from services.core.errors import PermanentError

# An entity's partner never changes (entity events for another partner are refused) and entities
# are never deleted, so who owns an entity is remembered: a round trip less wherever it is asked.
OWNERS_CACHED = 10_000
_OWNERS: dict[uuid.UUID, uuid.UUID] = {}


async def partner_of(db, entity_id: uuid.UUID) -> uuid.UUID | None:
    """The partner owning the entity (None while unknown); ``db``: a pool or a connection."""
    owner = _OWNERS.get(entity_id)
    if owner is None:
        owner = await db.fetchval("SELECT partner_id FROM entities WHERE id = $1", entity_id)
        if owner is not None:
            if len(_OWNERS) >= OWNERS_CACHED:
                _OWNERS.pop(next(iter(_OWNERS)))
            _OWNERS[entity_id] = owner
    return owner


async def require(conn, entity_id) -> None:
    """``PermanentError`` unless the entity is known (an object's events need its entity first)."""
    if not await conn.fetchval("SELECT 1 FROM entities WHERE id = $1", entity_id):
        raise PermanentError(f"unknown entity {entity_id}: entity.created must come first")
