"""`ledgersync webhooks replay [--subscription ID] [--since T]`: failed deliveries are sent again
(a fresh retry window of PARTNER_WEBHOOK_RETRY_FOR); the running push-workers pick them up."""
from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import TypeAdapter

from contracts.types import LenientUtcDatetime
from services.core.db import create_pool
from services.partner_webhooks import deliveries


def since_time(text: str) -> datetime:
    """An ISO date-time (UTC when it has no offset); ValueError otherwise (argparse says so)."""
    return TypeAdapter(LenientUtcDatetime).validate_python(text)


async def replay_failed(settings, subscription: uuid.UUID | None, since: datetime | None) -> list[dict]:
    pool = await create_pool(settings.database_url)
    try:
        rows = await deliveries.replay(pool, settings.partner_webhook_retry_for, subscription, since)
    finally:
        await pool.close()
    return [{"delivery_id": str(r["id"]), "event_id": str(r["event_id"]),
             "subscription_id": str(r["subscription_id"]), "action": r["action"], "url": r["url"]}
            for r in rows]
