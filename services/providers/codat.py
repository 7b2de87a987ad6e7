"""The Codat adapter: ledgersync's provider calls in Codat's public API (reference/codat/).

Lists and pushes use the list path names (``accounts``); refreshes and push operations use
Codat's data-type keys (``chartOfAccounts``): ``codat_mapping`` converts between them.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from urllib.parse import quote

import aiohttp

from services.core.errors import ValidationFailed
from services.core.settings import Settings
from services.providers import codat_mapping as m
from services.providers.base import (
    DATA_TYPES,
    DataStatus,
    Integration,
    ProviderCompany,
    ProviderConnection,
    PushResult,
    RecordPage,
    WebhookEvent,
)
from services.providers.codat_http import CodatClient, Observer
from services.providers.codat_webhooks import verify_webhook

MAX_PAGE_SIZE = 2000  # requests may ask 5000, but PagingInfo.pageSize allows at most 2000
METADATA_PAGE_SIZE = 100


def _seg(value: str) -> str:
    return quote(str(value), safe="")


def _company(company_id: str) -> str:
    return f"/companies/{_seg(company_id)}"


def _known(data_type: str) -> str:
    if data_type not in DATA_TYPES:
        raise ValueError(f"unknown data type {data_type!r}; expected one of {DATA_TYPES}")
    return data_type


class CodatAdapter:
    name = "codat"

    def __init__(self, settings: Settings, session: aiohttp.ClientSession, *,
                 observer: Observer | None = None) -> None:
        self._http = CodatClient(session, settings.provider_url, settings.provider_api_key,
                                 max_concurrency=settings.provider_max_concurrency,
                                 timeout_s=settings.provider_timeout_s, observer=observer)
        self._integrations: dict[str, Integration] = {}  # by slug and by key

    @property
    def observer(self) -> Observer | None:
        return self._http.observer

    @observer.setter
    def observer(self, value: Observer | None) -> None:
        self._http.observer = value

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
        return m.to_company(await self._http.call("GET", _company(company_id),
                                                  operation="get_company", company_id=company_id))

    async def create_connection(self, company_id: str, platform: str) -> ProviderConnection:
        integration = await self.integration_for(platform)
        body = await self._http.call("POST", f"{_company(company_id)}/connections",
                                     operation="create_connection", company_id=company_id,
                                     body={"platformKey": integration.key})
        return m.to_connection(body, company_id)

    async def get_connection(self, company_id: str, connection_id: str) -> ProviderConnection:
        body = await self._http.call("GET", f"{_company(company_id)}/connections/{_seg(connection_id)}",
                                     operation="get_connection", company_id=company_id)
        return m.to_connection(body, company_id)

    async def list_connections(self, company_id: str) -> list[ProviderConnection]:
        return [m.to_connection(item, company_id) async for item in
                self._pages(f"{_company(company_id)}/connections", "list_connections", company_id)]

    async def disconnect(self, company_id: str, connection_id: str) -> ProviderConnection:
        body = await self._http.call("PATCH", f"{_company(company_id)}/connections/{_seg(connection_id)}",
                                     operation="disconnect", company_id=company_id,
                                     body={"status": "Unlinked"})
        return m.to_connection(body, company_id)

    # ---- reading data ----------------------------------------------------------------------

    async def refresh_all(self, company_id: str) -> None:
        await self._http.call("POST", f"{_company(company_id)}/data/all", operation="refresh_all",
                              company_id=company_id)

    async def refresh_data_type(self, company_id: str, data_type: str,
                                connection_id: str | None = None) -> dict:
        """Queues a read of one dataset; Codat's PullOperation."""
        key = m.data_type_key(_known(data_type))
        return await self._http.call("POST", f"{_company(company_id)}/data/queue/{key}",
                                     operation="refresh_data_type", company_id=company_id,
                                     params={"connectionId": connection_id})

    async def data_status(self, company_id: str) -> dict[str, DataStatus]:
        body = await self._http.call("GET", f"{_company(company_id)}/dataStatus",
                                     operation="data_status", company_id=company_id)
        return m.to_data_statuses(body or {})

    async def list_page(self, company_id: str, data_type: str, page: int = 1, page_size: int = 500,
                        query: str | None = None) -> RecordPage:
        """One page of a dataset; ``ProviderDatasetNotReady`` while it was never read or is
        still being read."""
        if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page {page} / page_size {page_size} out of range (1..{MAX_PAGE_SIZE})")
        body = await self._http.call("GET", f"{_company(company_id)}/data/{_known(data_type)}",
                                     operation="list_page", company_id=company_id, dataset=True,
                                     params={"page": page, "pageSize": page_size, "query": query})
        return m.to_record_page(body, page, page_size)

    async def iter_pages(self, company_id: str, data_type: str, page_size: int = 500,
                         query: str | None = None) -> AsyncIterator[RecordPage]:
        page = 1
        while True:
            batch = await self.list_page(company_id, data_type, page, page_size, query)
            yield batch
            if not batch.has_next or not batch.results:
                return
            page += 1

    # ---- writing ---------------------------------------------------------------------------

    async def push(self, company_id: str, connection_id: str, data_type: str, body: dict,
                   idempotency_key: str, timeout_minutes: int | None = None) -> PushResult:
        """Creates a record. Codat answers the same key and body with its first answer for
        90 minutes, so a re-sent push never makes a second document."""
        answer = await self._http.call(
            "POST", f"{_company(company_id)}/connections/{_seg(connection_id)}/push/{_known(data_type)}",
            operation="push", company_id=company_id, body=body,
            params={"timeoutInMinutes": timeout_minutes}, headers={"Idempotency-Key": idempotency_key})
        return m.to_push_result(answer)

    async def update(self, company_id: str, connection_id: str, data_type: str, record_id: str, body: dict,
                     idempotency_key: str, timeout_minutes: int | None = None) -> PushResult:
        """Changes a record the accounting system has (Codat: ``PUT …/push/bills/{billId}``)."""
        if data_type != "bills":
            raise ValidationFailed(f"updating {data_type} is not supported")
        answer = await self._http.call(
            "PUT", f"{_company(company_id)}/connections/{_seg(connection_id)}/push/bills/{_seg(record_id)}",
            operation="update", company_id=company_id, body=body,
            params={"timeoutInMinutes": timeout_minutes}, headers={"Idempotency-Key": idempotency_key})
        return m.to_push_result(answer)

    async def get_push_operation(self, company_id: str, operation_id: str) -> PushResult:
        body = await self._http.call("GET", f"{_company(company_id)}/push/{_seg(operation_id)}",
                                     operation="get_push_operation", company_id=company_id)
        return m.to_push_result(body)

    async def find_push_operations(self, company_id: str, query: str | None = None,
                                   page_size: int = METADATA_PAGE_SIZE) -> list[PushResult]:
        """The newest push operations of a company, optionally filtered by a Codat query
        (e.g. ``dataType=invoices&&status=TimedOut``)."""
        body = await self._http.call("GET", f"{_company(company_id)}/push", operation="find_push_operations",
                                     company_id=company_id, params={
                                         "page": 1, "pageSize": page_size, "query": query,
                                         "orderBy": "-requestedOnUtc"})
        return [m.to_push_result(item) for item in (body or {}).get("results") or []]

    # ---- webhooks (no I/O) -----------------------------------------------------------------

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent:
        return verify_webhook(raw_body, headers, secret)

    def parse_webhook(self, body: dict | bytes | str) -> WebhookEvent:
        return m.parse_webhook(body)

    def connection_from_webhook(self, event: WebhookEvent) -> ProviderConnection:
        return m.connection_from_webhook(event)

    def push_result_from_webhook(self, event: WebhookEvent) -> PushResult:
        return m.push_result_from_webhook(event)

    def read_data_types(self, event: WebhookEvent) -> list[str]:
        return m.read_data_types(event)

    def read_failures(self, event: WebhookEvent) -> dict[str, str]:
        return m.read_failures(event)

    async def close(self) -> None:
        """The session belongs to the caller; nothing else is held."""
        self._integrations.clear()
