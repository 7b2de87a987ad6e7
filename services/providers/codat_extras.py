"""What only tests and diagnostics ask of Codat, beyond the port: connections one by one,
single-dataset refreshes, data status, page iteration, push-operation searches, the webhook
mapping steps one by one, and the HTTP observer. Production never builds this class."""
from __future__ import annotations

from collections.abc import AsyncIterator

from services.providers import codat_mapping as m
from services.providers import codat_webhooks as webhooks
from services.providers.base import DataStatus, ProviderConnection, PushResult, RecordPage, WebhookEvent
from services.providers.codat import METADATA_PAGE_SIZE, CodatAdapter, company_path, known_data_type, segment
from services.providers.http_exchange import Observer


class CodatExtras(CodatAdapter):
    @property
    def observer(self) -> Observer | None:
        return self._http.observer

    @observer.setter
    def observer(self, value: Observer | None) -> None:
        self._http.observer = value

    async def get_connection(self, company_id: str, connection_id: str) -> ProviderConnection:
        body = await self._http.call("GET", f"{company_path(company_id)}/connections/{segment(connection_id)}",
                                     operation="get_connection", company_id=company_id)
        return m.to_connection(body, company_id)

    async def list_connections(self, company_id: str) -> list[ProviderConnection]:
        return [m.to_connection(item, company_id) async for item in
                self._pages(f"{company_path(company_id)}/connections", "list_connections", company_id)]

    async def refresh_data_type(self, company_id: str, data_type: str,
                                connection_id: str | None = None) -> dict:
        """Queues a read of one dataset; Codat's PullOperation."""
        key = m.data_type_key(known_data_type(data_type))
        return await self._http.call("POST", f"{company_path(company_id)}/data/queue/{key}",
                                     operation="refresh_data_type", company_id=company_id,
                                     params={"connectionId": connection_id})

    async def data_status(self, company_id: str) -> dict[str, DataStatus]:
        body = await self._http.call("GET", f"{company_path(company_id)}/dataStatus",
                                     operation="data_status", company_id=company_id)
        return m.to_data_statuses(body or {})

    async def iter_pages(self, company_id: str, data_type: str, page_size: int = 500,
                         query: str | None = None) -> AsyncIterator[RecordPage]:
        page = 1
        while True:
            batch = await self.list_page(company_id, data_type, page, page_size, query)
            yield batch
            if not batch.has_next or not batch.results:
                return
            page += 1

    async def find_push_operations(self, company_id: str, query: str | None = None,
                                   page_size: int = METADATA_PAGE_SIZE) -> list[PushResult]:
        """The newest push operations of a company, optionally filtered by a Codat query
        (e.g. ``dataType=invoices&&status=TimedOut``)."""
        body = await self._http.call("GET", f"{company_path(company_id)}/push", operation="find_push_operations",
                                     company_id=company_id, params={
                                         "page": 1, "pageSize": page_size, "query": query,
                                         "orderBy": "-requestedOnUtc"})
        return [m.to_push_result(item) for item in (body or {}).get("results") or []]

    def parse_webhook(self, body: dict | bytes | str) -> WebhookEvent:
        return webhooks.parse_webhook(body)

    def connection_from_webhook(self, event: WebhookEvent) -> ProviderConnection:
        return webhooks.connection_from_webhook(event)

    def push_result_from_webhook(self, event: WebhookEvent) -> PushResult:
        return webhooks.push_result_from_webhook(event)

    def read_data_types(self, event: WebhookEvent) -> list[str]:
        return webhooks.read_data_types(event)

    def read_failures(self, event: WebhookEvent) -> dict[str, str]:
        return webhooks.read_failures(event)
