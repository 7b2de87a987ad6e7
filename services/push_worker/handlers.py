"""The push-worker's tables: event type → handler, command name → handler."""
from __future__ import annotations

from functools import partial

import asyncpg

from services.connections import runs
from services.providers.base import ProviderAdapter
from services.pull.run import pull_connection
from services.push import settle
from services.push.counterparts import push_created_meanwhile, push_new_counterpart
from services.push_worker.document_events import document_handler
from services.push.pusher import push_record
from services.push_worker.entity_events import apply_entity
from services.push_worker.mirrors import apply_counterpart, apply_product


async def _counterpart(conn, event) -> None:
    connection = await apply_counterpart(conn, event)
    await push_new_counterpart(conn, event, connection)


def event_handlers(pool: asyncpg.Pool, adapter: ProviderAdapter) -> dict:
    documents = {kind: document_handler(kind, pool, adapter) for kind in ("receivable", "credit_note",
                                                                         "payment_record", "bill")}
    return {"entity.created": apply_entity, "entity.updated": apply_entity,
            "counterpart.created": _counterpart, "counterpart.updated": _counterpart,
            "product.created": apply_product, "product.updated": apply_product,
            "receivable.issued": documents["receivable"], "credit_note.issued": documents["credit_note"],
            "payment_record.created": documents["payment_record"],
            "payable.issued": documents["bill"], "payable.canceled": documents["bill"]}


def command_handlers(pool: asyncpg.Pool, adapter: ProviderAdapter) -> dict:
    # after a connection's first pull, push the counterparts created meanwhile and still unmatched
    return {"sync_connection": partial(runs.start_refresh, pool, adapter),
            "pull_connection": partial(pull_connection, pool, adapter,
                                       after_first_pull=push_created_meanwhile),
            "push_record": partial(push_record, pool, adapter),
            "settle_push": partial(settle.settle_push, pool, adapter),
            "reconcile_push": partial(settle.reconcile_push, pool, adapter)}
