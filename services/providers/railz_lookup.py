"""Looking for records in Railz, which has no filtered reads: a dataset is scanned page by page
(at most ``LOOKUP_PAGES`` of ``MAX_LIMIT``) as of its last sync, for equal names (contacts
before they are created) or for a document's natural key (a write of unknown outcome)."""
from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from services.providers import railz_bodies as bodies
from services.providers.base import RecordPage
from services.providers.codat_lookup import named

MAX_LIMIT = 500
LOOKUP_PAGES = 20
ReadPage = Callable[[int], Awaitable[RecordPage]]  # page index (0-based) → that page


async def _scan(read: ReadPage) -> AsyncIterator[RecordPage]:
    for index in range(LOOKUP_PAGES):
        batch = await read(index)
        yield batch
        if not batch.has_next:
            return


async def by_name(read_canonical: ReadPage, data_type: str, names: Sequence[str]) -> list[dict]:
    """The canonical (Codat-shaped) records whose name equals one of ``names``."""
    return [r async for batch in _scan(read_canonical) for r in named(batch.results, data_type, names)]


async def by_natural_key(read_raw: ReadPage, kind: str, body: dict) -> str | None:
    """The id of the newest record matching the written body's natural key (number, party, net
    amount; name for contacts), or None."""
    key, net = bodies.natural_key(kind, body), bodies.net_amount(body)
    async for batch in _scan(read_raw):
        found = [r for r in batch.results if bodies.matches(r, key, net)]
        if found:
            return str(max(found, key=lambda r: r.get("sourceModifiedDate") or "")["id"])
    return None
