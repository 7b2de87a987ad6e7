"""receivable.issued, credit_note.issued, payment_record.created, payable.issued/canceled: the document
is mirrored, then pushed when the seeds say so."""
from __future__ import annotations

from datetime import datetime

import structlog

from services import entities
from services.connections.repo import connected_for_entity
from services.push import transitions
from services.sync.eligibility import Invoice, skip_reason

log = structlog.get_logger(__name__)


async def _skip_reason(conn, kind: str, data, connection) -> str | None:
    """Why this document is not pushed on this connection (older documents stay out), or None."""
    invoice_id = data.based_on if kind == "credit_note" else data.object.id if kind == "payment_record" else None
    invoice = None
    if invoice_id is not None:
        row = await conn.fetchrow(
            "SELECT d.data->>'issued_at' AS issued_at, r.sync_status FROM documents d LEFT JOIN synced_records r "
            "ON r.object_id = d.id AND r.connection_id = $2 AND r.object_type = 'receivable' "
            "WHERE d.id = $1 AND d.kind = 'receivable'", invoice_id, connection["id"])
        if row is not None:
            invoice = Invoice(datetime.fromisoformat(row["issued_at"]) if row["issued_at"] else None,
                              row["sync_status"] == "done")
    return skip_reason(kind, getattr(data, "issued_at", None), connection["connected_at"], invoice=invoice,
                       paid_object=data.object.type if kind == "payment_record" else None)


def document_handler(kind: str):
    async def apply(conn, event) -> None:
        await entities.require(conn, event.entityid)
        data = event.data
        stored = await conn.fetchval("SELECT source_updated_at FROM documents WHERE id = $1 FOR UPDATE", data.id)
        updated_at = getattr(data, "updated_at", None) or event.time
        if stored and stored > updated_at:
            log.info("event.stale_ignored", stored=stored.isoformat())
            return
        await conn.execute(
            """INSERT INTO documents (id, entity_id, kind, status, data, source_updated_at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, data = EXCLUDED.data,
                   source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
               WHERE documents.entity_id = EXCLUDED.entity_id AND documents.kind = EXCLUDED.kind""",
            data.id, event.entityid, kind, getattr(data, "status", None), data.model_dump(mode="json"), updated_at)
        connection = await connected_for_entity(conn, event.entityid)
        if connection is None:
            log.info("push.skipped", reason="the entity has no connected accounting connection")
            return
        if why := await _skip_reason(conn, kind, data, connection):
            log.info("push.skipped", reason=why)
            return
        structlog.contextvars.bind_contextvars(connection_id=str(connection["id"]))
        record, started = await transitions.ensure_record(conn, connection, kind, data.id, updated_at)
        structlog.contextvars.bind_contextvars(record_id=str(record["id"]))
        if started:
            log.info("push.queued", object_type=kind)
        elif record["sync_status"] == "error":
            await transitions.repush(conn, record, f"a newer {event.type} arrived")
        elif record["sync_status"] == "done" and kind == "bill" and data.status == "canceled":
            await transitions.repush(conn, record, "the bill was canceled: void it in the accounting system")
        elif record["sync_status"] == "done":
            log.info("push.already_done", note="the document is in the accounting system; not pushed twice")
    return apply
