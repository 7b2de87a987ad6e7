"""receivable.issued, credit_note.issued, payment_record.created, payable.issued/canceled: the document
is mirrored, then pushed when the seeds say so."""
from __future__ import annotations

from datetime import datetime

import structlog

from services import entities
from services.connections.repo import connected_for_entity
from services.push import transitions
from services.sync import record_lifecycle as lifecycle
from services.sync.eligibility import Invoice, skip_reason
from services.synced_records import repo

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


async def _mirror(conn, kind: str, event, updated_at) -> bool:
    """Keep the document as the event carries it; False when the event is older than the one kept."""
    data = event.data
    stored = await conn.fetchval("SELECT source_updated_at FROM documents WHERE id = $1 FOR UPDATE", data.id)
    if lifecycle.is_stale(stored, updated_at):
        log.info("event.stale_ignored", stored=stored.isoformat())
        return False
    await conn.execute(
        """INSERT INTO documents (id, entity_id, kind, status, data, source_updated_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, data = EXCLUDED.data,
               source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
           WHERE documents.entity_id = EXCLUDED.entity_id AND documents.kind = EXCLUDED.kind""",
        data.id, event.entityid, kind, getattr(data, "status", None), data.model_dump(mode="json"), updated_at)
    return True


async def _act(conn, outcome, connection, record, kind: str, object_id, updated_at) -> None:
    if isinstance(outcome, lifecycle.Skip):
        log.info("push.skipped", reason=outcome.reason)
        return
    structlog.contextvars.bind_contextvars(connection_id=str(connection["id"]))
    if isinstance(outcome, lifecycle.Queue):
        record = await transitions.start(conn, connection, kind, object_id, updated_at)
    structlog.contextvars.bind_contextvars(record_id=str(record["id"]))
    match outcome:
        case lifecycle.Queue():
            log.info("push.queued", object_type=kind)
        case lifecycle.Repush(reason):
            await transitions.repush(conn, record, reason)
        case lifecycle.AlreadyDone():
            log.info("push.already_done", note="the document is in the accounting system; not pushed twice")


def document_handler(kind: str):
    async def apply(conn, event) -> None:
        await entities.require(conn, event.entityid)
        data = event.data
        updated_at = getattr(data, "updated_at", None) or event.time
        if not await _mirror(conn, kind, event, updated_at):
            return
        connection = await connected_for_entity(conn, event.entityid)
        skip = lifecycle.NO_CONNECTION if connection is None else await _skip_reason(conn, kind, data, connection)
        record = None if skip else await repo.find(conn, connection["id"], kind, data.id, for_update=True)
        outcome = lifecycle.on_document(record and lifecycle.SyncedRecord.from_row(record), kind=kind,
                                        status=getattr(data, "status", None), event_type=event.type, skip=skip)
        await _act(conn, outcome, connection, record, kind, data.id, updated_at)
    return apply
