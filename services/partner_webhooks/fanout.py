"""A status change, announced in the transaction that makes it: its event in the outbox (for
`ledgersync.events`), the partner event (GET /v1/events, same id) and one pending delivery per
matching enabled subscription of the entity's partner, all in one statement (one round trip)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from functools import cache

from services.core.outbox import QUEUED, WAKE_RELAY, message_args
from services.core.topology import OWN_EXCHANGE
from services.partner_webhooks.catalog import partner_event
from services.partner_webhooks.deliveries import CHANNEL

# A delivery is first due a moment after its event occurred, so an earlier event of the same
# connection whose transaction committed a little later still goes first (order per connection).
ORDER_HOLD = timedelta(seconds=1)
# $1-$5 the outbox row (message_args); $6-$16 the partner event; a caller's CTEs number from $17.
FIRST_EXTRA_ARG = 17
_FAN_OUT = f"""{QUEUED},
relay_woken AS ({WAKE_RELAY}),
stored AS (
    INSERT INTO partner_events (id, entity_id, partner_id, object_type, action, object_id, connection_id,
                                description, object, created_at)
    SELECT $6::uuid, e.id, e.partner_id, $8::text, $9::text, $10::uuid, $11::uuid, $12::text, $13::jsonb,
           $14::timestamptz FROM entities e WHERE e.id = $7::uuid
    ON CONFLICT (id) DO NOTHING
    RETURNING id, entity_id, partner_id, object_type, action, connection_id, created_at),
delivered AS (
    INSERT INTO partner_webhook_deliveries (id, event_id, subscription_id, entity_id, object_type, action,
                                            ordering_key, occurred_at, url, next_attempt_at)
    SELECT gen_random_uuid(), p.id, s.id, p.entity_id, p.object_type, p.action, p.connection_id::text,
           p.created_at, s.url, GREATEST(now(), p.created_at + $16::interval)
    FROM stored p JOIN partner_webhook_subscriptions s ON s.partner_id = p.partner_id
     AND s.object_type = p.object_type AND s.status = 'enabled'
     AND (s.event_types = '{{}}' OR $15::text = ANY(s.event_types))
    RETURNING id),
sender_woken AS (SELECT pg_notify('{CHANNEL}', '') FROM (SELECT 1 FROM delivered LIMIT 1) due)"""
_COUNTS = ("SELECT (SELECT count(*) FROM relay_woken) AS relayed, (SELECT count(*) FROM stored) AS stored, "
           "(SELECT count(*) FROM delivered) AS deliveries, (SELECT count(*) FROM sender_woken) AS woken")


@cache
def _statement(also: str, returning: str = "") -> str:
    return f"WITH {_FAN_OUT}{', ' + also if also else ''}\n{_COUNTS}{', ' + returning if returning else ''}"


async def announce(conn, event: dict, connection_id: uuid.UUID, *, also: str = "",
                   also_args: tuple = ()) -> int:
    """Enqueue ``event`` (a JSON-ready CloudEvent from ``make_event``) and fan it out to the
    partner's subscriptions; ``also``: the caller's own CTEs (parameters from $17), run in the
    same statement. Returns how many deliveries were made."""
    return (await announce_row(conn, event, connection_id, also=also, also_args=also_args))["deliveries"]


async def announce_row(conn, event: dict, connection_id: uuid.UUID, *, also: str = "", also_args: tuple = (),
                       returning: str = ""):
    """``announce``, with ``returning``: more columns (of the caller's CTEs) in the row it returns."""
    return await conn.fetchrow(*announcement(event, connection_id, also=also, also_args=also_args,
                                             returning=returning))


def announcement(event: dict, connection_id: uuid.UUID, *, also: str = "", also_args: tuple = (),
                 returning: str = "") -> tuple:
    """``announce_row``'s statement and its arguments, to run now or with a batch (``pipeline``)."""
    found = partner_event(event)
    return (_statement(also, returning), *message_args(OWN_EXCHANGE, event["type"], event, found.id),
            found.id, found.entity_id, found.object_type, found.action,  # uuid text: asyncpg encodes it as is
            found.object_id, connection_id, found.description, found.object, found.created_at,
            found.event, ORDER_HOLD, *also_args)
