"""The Railz adapter: ledgersync's provider port in Railz's API v2 (tests/vendor/railz/).

One Railz business per entity, named after the entity id (Railz's unique key); its consent
link comes from ``generateUrl`` (5 days) and is made afresh whenever it is asked for; its
connection (``CON-…``) appears once the user consents. The port's data types (``suppliers``)
are Railz's (``vendors``) on the wire, and records come back in the canonical shape. Railz
takes no idempotency keys (``idempotency_window = None``): ``find_written`` resolves a write of
unknown outcome by its push request and by the record's natural key before it is written again."""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime

import aiohttp

from services.core.call_slots import LocalSlots
from services.core.errors import ProviderNotFound, ProviderRejected, RetryableError, ValidationFailed
from services.core.settings import Settings
from services.providers import railz_bodies as bodies
from services.providers import railz_lookup as lookup
from services.providers import railz_mapping as m
from services.providers import railz_webhooks as webhooks
from services.providers.base import (
    ProviderCompany,
    ProviderConnection,
    PushResult,
    RecordPage,
    WebhookDisposition,
    WebhookEvent,
    WebhookNotice,
    WriteAttempt,
)
from services.providers.http_exchange import Observer, Slots
from services.providers.railz_http import RailzClient
from services.providers.railz_lookup import MAX_LIMIT
from services.providers.railz_records import CANONICAL
from services.sync.prerequisites import Verdict

PUSH_PATHS = {"customers": "customers", "vendors": "vendors", "invoices": "invoices",
              "invoiceCreditNotes": "invoices/creditNotes", "invoicePayments": "invoices/payments", "bills": "bills"}
PENDING_RECHECK_S = 5.0   # a pending push request is asked about again after this long
ACTIVE_TTL_S = 30.0       # how long a business's active connection is remembered


def railz_type(data_type: str) -> str:
    if data_type in m.RAILZ_TYPES:
        return m.RAILZ_TYPES[data_type]
    if data_type in m.PORT_TYPES:
        return data_type
    raise ValueError(f"unknown data type {data_type!r}; expected one of {tuple(m.RAILZ_TYPES)}")


class RailzAdapter:
    name = "railz"
    idempotency_window = None  # Railz keeps no idempotency keys: every POST is a new write

    def __init__(self, settings: Settings, session: aiohttp.ClientSession, *,
                 observer: Observer | None = None, slots: Slots | None = None) -> None:
        self.http = RailzClient(session, settings.provider_url, settings.provider_token_url,
                                settings.provider_client_id, settings.provider_secret_key,
                                slots=slots or LocalSlots(settings.provider_max_concurrency),
                                timeout_s=settings.provider_timeout_s, observer=observer)
        self._active: dict[str, tuple[str, float]] = {}  # business → (its active connection, when seen)

    # ---- businesses, consent links, connections --------------------------------------------

    async def _business(self, *, uuid: str | None = None, name: str | None = None) -> dict | None:
        params = {"businessNameOrUuid": uuid} if uuid else {"businessName": name}
        body = await self.http.call("GET", "/v2/businesses", operation="get_business", params=params)
        return next((b for b in (body or {}).get("data") or []
                     if (b["businessUuid"] == uuid if uuid else b["businessName"] == name)), None)

    async def consent_link(self, business_uuid: str) -> tuple[str, datetime | None]:
        """A fresh sites link for the business and when it expires (5 days)."""
        body = await self.http.call("POST", "/v2/businesses/generateUrl", operation="generate_url",
                                    body={"businessUuid": business_uuid})
        return body["url"], m.expiry(body.get("expiryDate"))

    async def _company(self, business: dict, tags: Mapping[str, str] | None = None) -> ProviderCompany:
        url, expires = await self.consent_link(business["businessUuid"])
        return ProviderCompany(id=business["businessUuid"], name=business["businessName"], link_url=url,
                               tags=dict(tags or {"entity_id": business["businessName"]}), link_expires_at=expires)

    async def create_company(self, name: str, tags: Mapping[str, str] | None = None) -> ProviderCompany:
        """``businessName`` is the entity id; an earlier attempt's business is reused, never doubled."""
        business_name = (tags or {}).get("entity_id") or name
        try:
            business = await self.http.call("POST", "/v2/businesses", operation="create_business", body={
                "businessName": business_name, "metadata": [{"name": "entity_name", "value": name[:200]}]})
        except ProviderRejected:
            business = await self._business(name=business_name)
            if business is None:
                raise
        return await self._company(business, tags)

    async def get_company(self, company_id: str) -> ProviderCompany:
        business = await self._business(uuid=company_id)
        if business is None:
            raise ProviderNotFound(f"Railz has no business {company_id}", status=404)
        return await self._company(business)

    async def create_connection(self, company_id: str, platform: str) -> ProviderConnection:
        """Railz makes the connection when the user consents on the sites page, where the
        accounting system is chosen: the answer is the pending link, without a connection id."""
        if m.service_name(platform) is None:
            raise ValidationFailed(f"Unknown platform {platform!r}; known: quickbooks_online, xero", [
                {"loc": ["body", "platform"], "msg": f"unknown platform {platform!r}", "type": "value_error"}])
        url, expires = await self.consent_link(company_id)
        return ProviderConnection(id="", company_id=company_id, status="pending_auth", platform=None,
                                  link_url=url, business_info=None, link_expires_at=expires)

    async def connections(self, **params: str) -> list[dict]:
        body = await self.http.call("GET", "/v2/connections", operation="list_connections",
                                    params={**params, "limit": MAX_LIMIT}, connection_id=params.get("connectionUuid"))
        return list((body or {}).get("data") or [])

    async def get_connection(self, company_id: str, connection_id: str) -> ProviderConnection:
        found = await self.connections(connectionUuid=connection_id)
        if not found:
            raise ProviderNotFound(f"Railz has no connection {connection_id}", status=404)
        info = await self.business_info(company_id, connection_id) if found[0].get("status") == "active" else None
        return m.to_connection(found[0], company_id, business_info=info)

    async def business_info(self, company_id: str, connection_id: str) -> dict | None:
        return m.business_info(await self.http.call("GET", "/v2/businesses/info", operation="business_info",
                                                    params={"connectionUuid": connection_id},
                                                    connection_id=connection_id))

    async def active_connection(self, company_id: str) -> str:
        """The business's active connection (remembered ``ACTIVE_TTL_S``: reads and syncs need it)."""
        known = self._active.get(company_id)
        if known and time.monotonic() - known[1] < ACTIVE_TTL_S:
            return known[0]
        found = await self.connections(businessUuid=company_id, status="active")
        if not found:
            self._active.pop(company_id, None)
            raise ProviderRejected(f"Railz business {company_id} has no active connection", status=409)
        self._active[company_id] = (found[0]["connectionUuid"], time.monotonic())
        return found[0]["connectionUuid"]

    async def disconnect(self, company_id: str, connection_id: str) -> ProviderConnection:
        self._active.pop(company_id, None)
        body = await self.http.call("PUT", "/v2/connections/disconnect", operation="disconnect",
                                    body={"connectionId": connection_id}, connection_id=connection_id)
        return m.to_connection({**body, "connectionUuid": body["connectionId"],
                                "disconnectReason": "disconnectedByCustomer"}, company_id)

    # ---- reading ---------------------------------------------------------------------------

    async def refresh_all(self, company_id: str) -> None:
        connection_id = await self.active_connection(company_id)
        await self.http.call("POST", "/v2/data/sync", operation="sync", connection_id=connection_id,
                             body={"connectionUuid": connection_id})

    async def raw_page(self, connection_id: str, data_type: str, offset: int, limit: int) -> RecordPage:
        """Railz's records as read (offset paging); ``ProviderDatasetNotReady`` (202) while never synced."""
        if offset < 0 or not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"offset {offset} / limit {limit} out of range (limit 1..{MAX_LIMIT})")
        body = await self.http.call("GET", f"/v2/accounting/{m.READ_PATHS[railz_type(data_type)]}",
                                    operation="list_page", connection_id=connection_id, read=True,
                                    params={"connectionUuid": connection_id, "offset": offset, "limit": limit})
        return m.to_record_page(body, offset, limit)

    async def list_page(self, company_id: str, data_type: str, page: int = 1, page_size: int = 500) -> RecordPage:
        if page < 1:
            raise ValueError(f"page {page} out of range")
        raw = await self.raw_page(await self.active_connection(company_id), data_type, (page - 1) * page_size,
                                  page_size)
        convert = CANONICAL[railz_type(data_type)]
        return RecordPage([convert(r) for r in raw.results], page, page_size, raw.total, raw.has_next)

    async def find_by_name(self, company_id: str, data_type: str, names: Sequence[str]) -> list[dict]:
        """Railz's reads have no name filter: the dataset is scanned (as of its last sync)."""
        return await lookup.by_name(lambda i: self.list_page(company_id, data_type, i + 1, MAX_LIMIT),
                                    data_type, names)

    # ---- writing ---------------------------------------------------------------------------

    def data_type_of(self, kind: str) -> str:
        return m.PORT_TYPES[bodies.DATA_TYPES[kind]]

    def write_body(self, kind: str, data: dict, verdict: Verdict | None = None, *,
                   invoice_id: str | None = None) -> dict:
        """``ProviderRejected`` for a bill canceled before its first push: Railz's bills carry no
        status, so it would arrive as an open bill."""
        if kind == "bill" and data.get("status") == "canceled":
            raise ProviderRejected("The bill was canceled before it reached the accounting system, and Railz "
                                   "cannot write a void bill", status=None)
        if kind in ("customer", "vendor"):
            return bodies.contact(data, kind)
        if kind == "payment_record":
            return bodies.payment(data, verdict, invoice_id)
        return {"receivable": bodies.invoice, "credit_note": bodies.credit_note, "bill": bodies.bill}[kind](data, verdict)

    async def push(self, company_id: str, connection_id: str, data_type: str, body: dict,
                   idempotency_key: str | None = None, timeout_minutes: int | None = None) -> PushResult:
        """Creates a record; Railz has no idempotency keys, so a second call is a second record."""
        answer = await self.http.call("POST", f"/v2/accounting/{PUSH_PATHS[railz_type(data_type)]}", operation="push",
                                      connection_id=connection_id, body={"connectionUuid": connection_id, "data": body})
        return m.to_push_result(answer, connection_id)

    async def update(self, company_id: str, connection_id: str, data_type: str, record_id: str, body: dict,
                     idempotency_key: str | None = None, timeout_minutes: int | None = None) -> PushResult:
        """The port updates a pushed document only to void a canceled bill. Railz's bill update
        (``PUT /v2/accounting/bills/{id}``) carries no status, so it cannot void: refused, with
        what a person should do."""
        if railz_type(data_type) != "bills":
            raise ValidationFailed(f"updating {data_type} is not supported")
        message = (f"Railz cannot void a bill through its API: void bill {record_id} in the accounting "
                   "system itself")
        raise ProviderRejected(message, status=None, errors=[{"message": message}])

    async def push_statuses(self, connection_id: str, operation_id: str | None = None) -> list[PushResult]:
        body = await self.http.call("GET", "/v2/data/pushStatus", operation="push_status", connection_id=connection_id,
                                    params={"connectionUuid": connection_id, "pushCommunicationId": operation_id})
        return [m.to_push_result(item, connection_id) for item in (body or {}).get("data") or []]

    async def get_push_operation(self, company_id: str, operation_id: str) -> PushResult:
        found = await self.push_statuses(await self.active_connection(company_id), operation_id)
        if not found:
            raise ProviderNotFound(f"Railz has no push request {operation_id}", status=404)
        return found[0]

    async def find_written(self, company_id: str, connection_id: str, attempt: WriteAttempt) -> str | None:
        """Its push request, when the write ever answered: the record it made, or None when it
        failed. Else ``RetryableError`` while any push of that data type is still pending (it may
        be this one); then the record by its natural key (number, party, net amount; name for
        contacts), or None: nothing was written."""
        kind = railz_type(attempt.data_type)
        pushes = await self.push_statuses(connection_id, attempt.operation_id)
        if attempt.operation_id and pushes and pushes[0].status != "pending":
            return pushes[0].record_id if pushes[0].status == "success" else None
        if any(p.status == "pending" and p.data_type == kind for p in pushes):
            raise RetryableError(f"a {kind} push of this connection is still pending; look again later",
                                 retry_after=PENDING_RECHECK_S)
        return await lookup.by_natural_key(lambda i: self.raw_page(connection_id, kind, i * MAX_LIMIT, MAX_LIMIT),
                                           kind, attempt.body)

    # ---- webhooks (no I/O) -----------------------------------------------------------------

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent:
        """``secret``: one or several (comma-separated, while one is rotated)."""
        return webhooks.verify_webhook(raw_body, headers, secret)

    def classify_webhook(self, event_type: str) -> WebhookDisposition:
        return webhooks.classify(event_type)

    def read_webhook(self, event_type: str, body: dict) -> WebhookNotice:
        return webhooks.read_notice(event_type, body)

    async def close(self) -> None:
        """The session belongs to the caller; the token goes with the process."""
        self._active.clear()

