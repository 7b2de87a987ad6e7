"""Counterparts the accounting system does not have yet: created there as customer and/or supplier."""
from __future__ import annotations

import structlog

from services.push import transitions

log = structlog.get_logger(__name__)


async def push_counterpart(conn, connection, counterpart_id, is_customer: bool, is_vendor: bool,
                           updated_at) -> None:
    """Create a counterpart in the accounting system as customer and/or supplier, unless matched."""
    for role, wanted in (("customer", is_customer), ("vendor", is_vendor)):
        if wanted:
            record, started = await transitions.ensure_record(conn, connection, role, counterpart_id, updated_at)
            if started:
                log.info("push.queued", object_type=role, record_id=str(record["id"]))


async def push_new_counterpart(conn, event, connection) -> None:
    """counterpart.created while connected: pushed unless matched. Before the first pull has
    finished, matching cannot tell yet: the first pull's end pushes it (push_created_meanwhile)."""
    if connection is None or event.type != "counterpart.created" or connection["last_pull"] is None:
        return
    await push_counterpart(conn, connection, event.data.id, event.data.is_customer, event.data.is_vendor,
                           event.data.updated_at)


async def push_created_meanwhile(conn, connection) -> None:
    """After a connection's first pull: counterparts created since it connected and still unmatched."""
    rows = await conn.fetch(
        "SELECT id, is_customer, is_vendor, source_updated_at FROM counterparts c WHERE entity_id = $1 "
        "AND created_at >= $2 AND NOT EXISTS (SELECT 1 FROM synced_records r WHERE r.connection_id = $3 "
        "AND r.object_id = c.id AND r.object_type IN ('customer', 'vendor'))",
        connection["entity_id"], connection["connected_at"], connection["id"])
    for row in rows:
        await push_counterpart(conn, connection, row["id"], row["is_customer"], row["is_vendor"],
                               row["source_updated_at"])
