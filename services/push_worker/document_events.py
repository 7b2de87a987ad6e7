"""receivable.issued, credit_note.issued, payment_record.created, payable.issued/canceled: the document
is mirrored, then pushed when the seeds say so.

One transaction takes the event in: its inbox row, the document (unless the event is older than
the one kept) and the entity's connected connection are one statement; the decision
(``record_lifecycle.on_document``); then, for a document to push, the push's phase 1 (its
prerequisites, body and attempt with its idempotency key). Once it commits, the same handler
sends the write and stores the answer (``pusher.deliver_after_commit``): no queue hop between."""
from __future__ import annotations

from datetime import datetime
from functools import partial

import asyncpg
import structlog

from services.core.errors import PermanentError
from services.providers.base import ProviderAdapter
from services.push import inputs, pusher, transitions
from services.push_worker.inbox import DUPLICATE, INBOX, Intake, Received, WritesInbox
from services.synced_records import repo
from services.sync import record_lifecycle as lifecycle
from services.sync.eligibility import Invoice, skip_reason

log = structlog.get_logger(__name__)
INDEPENDENT_KINDS = ("receivable", "bill")
# $1-$4 the inbox row, $5 entity, $6 kind, $7 status, $8 data, $9 its updated_at, $10-$14 the push's
# look-ups (``inputs.args``). The document is kept unless the one stored is newer (the upsert's lock
# decides, so racing events order right). The look-ups a push of the document needs (``inputs``) are
# made in the same statement, on the connected connection it finds.
_INPUT_CTES, _INPUT_COLUMNS = inputs.embedded("(SELECT id FROM connection)", "$5::uuid", 10)
_RECEIVE = f"""WITH {INBOX},
kept AS (SELECT entity_id, kind, source_updated_at FROM documents WHERE id = $3),
mirrored AS (
    INSERT INTO documents (id, entity_id, kind, status, data, source_updated_at)
    SELECT $3::uuid, $5::uuid, $6::text, $7::text, $8::jsonb, $9::timestamptz FROM inboxed
    ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, data = EXCLUDED.data,
        source_updated_at = EXCLUDED.source_updated_at, updated_at = now()
    WHERE documents.entity_id = EXCLUDED.entity_id AND documents.kind = EXCLUDED.kind
      AND documents.source_updated_at <= EXCLUDED.source_updated_at
    RETURNING true AS applied),
connection AS (SELECT * FROM accounting_connections WHERE entity_id = $5 AND status = 'connected' LIMIT 1),
record AS (SELECT r.id, r.object_type, r.sync_status, r.push_generation, r.platform_object_id
           FROM synced_records r JOIN connection c ON r.connection_id = c.id
           WHERE r.object_type = $6 AND r.object_id = $3 FOR UPDATE OF r),
{_INPUT_CTES}
SELECT {_INPUT_COLUMNS}, i.first, m.applied, k.entity_id = $5 AND k.kind = $6 AS same_kind, k.source_updated_at AS kept,
       r.id AS record_id, r.object_type AS record_type, r.sync_status AS record_status,
       r.push_generation AS record_generation, r.platform_object_id AS record_platform_id, c.*
FROM (SELECT 1) one LEFT JOIN inboxed i ON true LEFT JOIN mirrored m ON true LEFT JOIN kept k ON true
LEFT JOIN connection c ON true LEFT JOIN record r ON true"""


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


def _record(row) -> lifecycle.SyncedRecord | None:
    """The document's synced record on the connection (locked), as the lifecycle reads it."""
    if row["record_id"] is None:
        return None
    return lifecycle.SyncedRecord(row["record_id"], row["record_type"], row["record_status"],
                                  row["record_generation"], row["record_platform_id"])


async def _resume_after_crash(conn, received: Received, row) -> None:
    """The event again, redelivered because the delivery that took it in was never acked: that
    handler may have died between its commit and its write's answer. Its push, still pending,
    goes to ``push_record`` (which re-sends the same key or looks first), not to the stale re-check."""
    if received.redelivered and row["record_id"] is not None and row["record_status"] == "pending":
        log.info("push.resumed_after_redelivery", record_id=str(row["record_id"]))
        await transitions.request_push(conn, {"id": row["record_id"], "push_generation": row["record_generation"]})


def _intake(kind: str, received: Received) -> Intake:
    """The event's first statement (``_RECEIVE``) and its arguments; state: (document, updated_at)."""
    data, event = received.event.data, received.event
    updated_at = getattr(data, "updated_at", None) or event.time
    doc = data.model_dump(mode="json")
    return Intake(_RECEIVE, (*received.inbox_args(), event.entityid, kind, getattr(data, "status", None), doc,
                             updated_at, *inputs.args(kind, doc)), (doc, updated_at))


async def _receive(conn, received: Received, intake: Intake, row):
    """The inbox row, the document, the connected connection and the document's record on it (locked)
    in one round trip (``row``: its row, when the batch ran it); None when the event was there
    already, else (kept, connection, record, looked-up prerequisites)."""
    if row is None:
        try:
            row = await conn.fetchrow(intake.statement, *intake.args)
        except asyncpg.ForeignKeyViolationError as exc:
            raise PermanentError(f"unknown entity {received.event.entityid}: entity.created must come first") from exc
    if not row["first"]:
        await _resume_after_crash(conn, received, row)
        return None
    if not row["applied"] and row["same_kind"]:
        log.info("event.stale_ignored", stored=row["kept"].isoformat())
        return False, None, None, None
    return True, (row if row["id"] is not None else None), _record(row), inputs.looked_up(row)


async def _push(conn, adapter: ProviderAdapter, outcome, connection, record, kind: str, object_id, updated_at,
                doc: dict, looked_up: dict):
    """The decision's writes; the phase 1 of a push it starts, whose write it returns."""
    if isinstance(outcome, lifecycle.Skip):
        log.info("push.skipped", reason=outcome.reason)
        return None
    structlog.contextvars.bind_contextvars(connection_id=str(connection["id"]))
    match outcome:
        case lifecycle.Queue():  # stored with its push's attempt, or before whatever else phase 1 decides
            record = repo.new(connection, kind, object_id, object_updated_at=updated_at)
            log.info("push.queued", object_type=kind, record_id=str(record["id"]))
        case lifecycle.Repush(reason):
            record = await transitions.renew(conn, {"id": record.id, "sync_status": record.sync_status}, reason)
        case lifecycle.AlreadyDone():
            log.info("push.already_done", note="the document is in the accounting system; not pushed twice")
            return None
        case _:
            return None
    structlog.contextvars.bind_contextvars(record_id=str(record["id"]))
    return await pusher.prepare_document(conn, adapter, record, connection, doc, looked_up)


def document_handler(kind: str, pool: asyncpg.Pool, adapter: ProviderAdapter) -> WritesInbox:
    async def apply(conn, received: Received, intake: Intake, row=None):
        data, event = received.event.data, received.event
        doc, updated_at = intake.state
        taken = await _receive(conn, received, intake, row)
        if taken is None:
            return DUPLICATE
        kept, connection, record, looked_up = taken
        if not kept:
            return None
        skip = lifecycle.NO_CONNECTION if connection is None else await _skip_reason(conn, kind, data, connection)
        outcome = lifecycle.on_document(None if skip else record, kind=kind, status=getattr(data, "status", None),
                                        event_type=event.type, skip=skip)
        out = await _push(conn, adapter, outcome, connection, record, kind, data.id, updated_at, doc, looked_up)
        return None if out is None else partial(pusher.deliver_after_commit, pool, adapter, out)
    # an invoice or a bill reads no other document's record (a credit note reads its invoice's,
    # a payment its invoice's): in a batch, a run of them is taken in together
    return WritesInbox(partial(_intake, kind), apply, independent=kind in INDEPENDENT_KINDS)
