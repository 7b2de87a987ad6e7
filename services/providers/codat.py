"""The Codat adapter: ledgersync's provider calls in Codat's public API (reference/codat/).

Lists and pushes use the list path names (``accounts``); refreshes and push operations use
Codat's data-type keys (``chartOfAccounts``): ``codat_mapping`` converts between them.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from urllib.parse import quote

import aiohttp

from services.core.call_slots import LocalSlots
from services.core.errors import ValidationFailed
from services.core.settings import Settings
from services.providers import codat_bodies as bodies
from services.providers import codat_lookup
from services.providers import codat_mapping as m
from services.providers import codat_webhooks as webhooks
from services.providers.base import (
    DATA_TYPES,
    Integration,
    ProviderCompany,
    ProviderConnection,
    PushResult,
    RecordPage,
    WebhookDisposition,
    WebhookEvent,
    WebhookNotice,
    WriteAttempt,
)
from services.providers.codat_http import CodatClient, Observer, Slots
from services.sync.prerequisites import Verdict

MAX_PAGE_SIZE = 2000  # requests may ask 5000, but PagingInfo.pageSize allows at most 2000
METADATA_PAGE_SIZE = 100
MAX_LOOKUP_PAGE = 500


def segment(value: str) -> str:
    return quote(str(value), safe="")


def company_path(company_id: str) -> str:
    return f"/companies/{segment(company_id)}"


def known_data_type(data_type: str) -> str:
    if data_type not in DATA_TYPES:
        raise ValueError(f"unknown data type {data_type!r}; expected one of {DATA_TYPES}")
    return data_type


class CodatAdapter:
    """``ProviderAdapter`` for Codat (``codat_extras.CodatExtras`` adds what only tests and
    diagnostics call)."""
    name = "codat"
    idempotency_window = timedelta(minutes=80)  # Codat keeps an Idempotency-Key 90 minutes

    def __init__(self, settings: Settings, session: aiohttp.ClientSession, *,
                 observer: Observer | None = None, slots: Slots | None = None) -> None:
        self._http = CodatClient(session, settings.provider_url, settings.provider_api_key,
                                 slots=slots or LocalSlots(settings.provider_max_concurrency),
                                 timeout_s=settings.provider_timeout_s, observer=observer)
        self._integrations: dict[str, Integration] = {}  # by slug and by key

    async def _pages(self, path: str, operation: str, company_id: str | None = None,
                     params: Mapping[str, object] | None = None) -> AsyncIterator[dict]:
        page = 1
        while True:
            body = await self._http.call("GET", path, operation=operation, company_id=company_id,
                                         params={"page": page, "pageSize": METADATA_PAGE_SIZE,
                                                 **(params or {})})
            batch = m.to_record_page(body, page, METADATA_PAGE_SIZE)
            for item in batch.results:
                yield item
            if not batch.has_next or not batch.results:
                return
            page += 1

    # ---- integrations, companies, connections -------------------------------------------

    async def list_integrations(self) -> list[Integration]:
        return [m.to_integration(item) async for item in self._pages("/integrations", "list_integrations")]

    async def integration_for(self, platform: str) -> Integration:
        """The integration for a ledgersync slug (or a Codat key or name); the catalogue is
        read from ``GET /integrations`` and cached, and read again for an unknown platform."""
        wanted = m.PLATFORM_ALIASES.get(m.platform_slug(platform) or "", m.platform_slug(platform) or "")
        if wanted not in self._integrations:
            for integration in await self.list_integrations():
                for alias in (integration.platform, integration.key):
                    if alias:
                        self._integrations[alias] = integration
        if wanted not in self._integrations:
            known = sorted({i.platform for i in self._integrations.values() if i.platform})
            raise ValidationFailed(f"Unknown platform {platform!r}; known: {', '.join(known)}", [
                {"loc": ["body", "platform"], "msg": f"unknown platform {platform!r}",
                 "type": "value_error"}])
        return self._integrations[wanted]

    async def create_company(self, name: str, tags: Mapping[str, str] | None = None) -> ProviderCompany:
        body: dict = {"name": m.company_name(name)}
        if body["name"] != name:
            body["description"] = name
        if tags:
            body["tags"] = dict(tags)
        return m.to_company(await self._http.call("POST", "/companies", operation="create_company",
                                                  body=body))

    async def get_company(self, company_id: str) -> ProviderCompany:
        return m.to_company(await self._http.call("GET", company_path(company_id),
                                                  operation="get_company", company_id=company_id))

    async def create_connection(self, company_id: str, platform: str) -> ProviderConnection:
        integration = await self.integration_for(platform)
        body = await self._http.call("POST", f"{company_path(company_id)}/connections",
                                     operation="create_connection", company_id=company_id,
                                     body={"platformKey": integration.key})
        return m.to_connection(body, company_id)

    async def disconnect(self, company_id: str, connection_id: str) -> ProviderConnection:
        body = await self._http.call("PATCH", f"{company_path(company_id)}/connections/{segment(connection_id)}",
                                     operation="disconnect", company_id=company_id,
                                     body={"status": "Unlinked"})
        return m.to_connection(body, company_id)

    async def business_info(self, company_id: str, connection_id: str) -> dict | None:
        body = await self._http.call("GET", f"{company_path(company_id)}/connections/{segment(connection_id)}",
                                     operation="get_connection", company_id=company_id)
        return m.to_connection(body, company_id).business_info

    # ---- reading data ----------------------------------------------------------------------

    async def refresh_all(self, company_id: str) -> None:
        await self._http.call("POST", f"{company_path(company_id)}/data/all", operation="refresh_all",
                              company_id=company_id)

    async def list_page(self, company_id: str, data_type: str, page: int = 1, page_size: int = 500,
                        query: str | None = None) -> RecordPage:
        """One page of a dataset; ``ProviderDatasetNotReady`` while it was never read or is
        still being read."""
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page {page} / page_size {page_size} out of range (1..{MAX_PAGE_SIZE})")
        body = await self._http.call("GET", f"{company_path(company_id)}/data/{known_data_type(data_type)}",
                                     operation="list_page", company_id=company_id, dataset=True,
                                     params={"page": page, "pageSize": page_size, "query": query})
        return m.to_record_page(body, page, page_size)

    async def find_by_name(self, company_id: str, data_type: str, names: Sequence[str]) -> list[dict]:
        query, found, page = codat_lookup.name_query(data_type, names), [], 1
        while True:
            batch = await self.list_page(company_id, data_type, page, MAX_LOOKUP_PAGE, query)
            found.extend(batch.results)
            if not batch.has_next or not batch.results:
                return codat_lookup.named(found, data_type, names)
            page += 1

    # ---- writing ---------------------------------------------------------------------------

    def data_type_of(self, kind: str) -> str:
        return bodies.DATA_TYPE_OF_KIND[kind]

    def write_body(self, kind: str, data: dict, verdict: Verdict | None = None, *,
                   invoice_id: str | None = None) -> dict:
        return bodies.write_body(kind, data, verdict, invoice_id)

    async def push(self, company_id: str, connection_id: str, data_type: str, body: dict,
                   idempotency_key: str, timeout_minutes: int | None = None) -> PushResult:
        """Creates a record. Codat answers the same key and body with its first answer for
        90 minutes, so a re-sent push never makes a second document."""
        answer = await self._http.call(
            "POST", f"{company_path(company_id)}/connections/{segment(connection_id)}/push/{known_data_type(data_type)}",
            operation="push", company_id=company_id, body=body,
            params={"timeoutInMinutes": timeout_minutes}, headers={"Idempotency-Key": idempotency_key})
        return m.to_push_result(answer)

    async def update(self, company_id: str, connection_id: str, data_type: str, record_id: str, body: dict,
                     idempotency_key: str, timeout_minutes: int | None = None) -> PushResult:
        """Changes a record the accounting system has (Codat: ``PUT …/push/bills/{billId}``)."""
        if data_type != "bills":
            raise ValidationFailed(f"updating {data_type} is not supported")
        answer = await self._http.call(
            "PUT", f"{company_path(company_id)}/connections/{segment(connection_id)}/push/bills/{segment(record_id)}",
            operation="update", company_id=company_id, body=body,
            params={"timeoutInMinutes": timeout_minutes}, headers={"Idempotency-Key": idempotency_key})
        return m.to_push_result(answer)

    async def get_push_operation(self, company_id: str, operation_id: str) -> PushResult:
        body = await self._http.call("GET", f"{company_path(company_id)}/push/{segment(operation_id)}",
                                     operation="get_push_operation", company_id=company_id)
        return m.to_push_result(body)

    async def find_written(self, company_id: str, connection_id: str, attempt: WriteAttempt) -> str | None:
        """Codat has no look-up by idempotency key: the body's natural key, queried in the dataset."""
        query = bodies.lookup_query(attempt.kind, attempt.body)
        if not query:
            return None
        page = await self.list_page(company_id, attempt.data_type, 1, 5, query)
        return page.results[0]["id"] if page.results else None

    # ---- webhooks (no I/O) -----------------------------------------------------------------

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent:
        return webhooks.verify_webhook(raw_body, headers, secret)

    def classify_webhook(self, event_type: str) -> WebhookDisposition:
        return webhooks.classify(event_type)

    def read_webhook(self, event_type: str, body: dict) -> WebhookNotice:
        return webhooks.read_notice(event_type, body)

    async def close(self) -> None:
        """The session belongs to the caller; nothing else is held."""
        self._integrations.clear()
