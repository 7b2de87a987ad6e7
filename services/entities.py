"""Entities as the features read them (``push_worker.entities`` keeps them from their events)."""
from __future__ import annotations

from services.core.errors import PermanentError


async def require(conn, entity_id) -> None:
    """``PermanentError`` unless the entity is known (an object's events need its entity first)."""
    if not await conn.fetchval("SELECT 1 FROM entities WHERE id = $1", entity_id):
        raise PermanentError(f"unknown entity {entity_id}: entity.created must come first")
