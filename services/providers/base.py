"""The provider adapter protocol and the provider-neutral values it speaks.

An adapter turns ledgersync's requests into one aggregator's HTTP API (Codat now, Railz
later). Everything above it sees only these types: ids are the provider's, platforms are
ledgersync's slugs (``xero``, ``quickbooks_online``, ...), and data types are Codat's list
path names (``accounts``, ``taxRates``, ``customers``, ``suppliers``, ``items``, ``invoices``,
``bills``, ``creditNotes``, ``payments``, ``billPayments``).
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from services.core.errors import PermanentError, ProviderError, RetryableError

ConnectionStatus = Literal["pending_auth", "connected", "disconnected", "deauthorized"]
PushStatus = Literal["pending", "success", "failed", "timed_out"]
DATA_TYPES = ("accounts", "taxRates", "customers", "suppliers", "items", "invoices", "bills",
              "creditNotes", "payments", "billPayments")


class WebhookVerificationFailed(PermanentError):
    """Raised when a webhook's signature, headers or timestamp do not verify (answer 401)."""


class WebhookMalformed(PermanentError):
    """Raised when a correctly signed webhook body is not an event of the provider."""


class ProviderDatasetNotReady(ProviderError, RetryableError):
    """Raised when a dataset was never requested or is still syncing (Codat 409): retry later."""

    def __init__(self, message: str, status: int | None = 409, body: object = None,
                 retry_after: float | None = None, **context) -> None:
        ProviderError.__init__(self, message, status=status, body=body, **context)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Integration:
    key: str  # the provider's platform key (Codat: 4 letters, "gbol" is Xero)
    name: str  # display name ("Xero")
    platform: str | None  # ledgersync's slug ("xero"), None when the name gives none


@dataclass(frozen=True)
class ProviderCompany:
    id: str
    name: str
    link_url: str  # where the user picks a platform and consents (Codat: Hosted Link)
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderConnection:
    id: str
    company_id: str
    status: ConnectionStatus
    platform: str | None
    link_url: str | None
    business_info: dict | None  # name, legal_name, base_currency, email, type (when known)
    raw: dict = field(default_factory=dict, repr=False)
    platform_key: str | None = None
    error: str | None = None  # the newest active connection error, if any


@dataclass(frozen=True)
class RecordPage:
    results: list[dict]
    page: int
    page_size: int
    total: int
    has_next: bool


@dataclass(frozen=True)
class PushResult:
    operation_id: str
    status: PushStatus
    record_id: str | None  # the record's id in the accounting system, once known
    errors: list[dict]  # {"message", "item_id", "validator"} from the provider's validation
    raw: dict = field(default_factory=dict, repr=False)
    data_type: str | None = None  # list path name ("invoices"), when the provider says
    company_id: str | None = None
    connection_id: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class DataStatus:
    data_type: str  # list path name ("accounts")
    status: str  # the provider's status word (Codat: Complete, Fetching, FetchError, ...)
    last_successful_sync: str | None
    is_complete: bool  # the latest read finished and succeeded: the dataset can be listed


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    event_type: str  # the provider's name ("invoices.write.successful", "read.completed")
    company_id: str | None
    payload: dict
    generated_at: datetime | None


class ProviderAdapter(Protocol):
    """What ledgersync asks of an aggregator. Every call may raise ``ProviderUnavailable``
    (retry), ``ProviderRateLimited`` (retry after ``retry_after``), ``ProviderNotFound`` or
    ``ProviderRejected`` (permanent)."""

    async def list_integrations(self) -> list[Integration]: ...

    async def create_company(self, name: str, tags: Mapping[str, str] | None = None) -> ProviderCompany: ...

    async def get_company(self, company_id: str) -> ProviderCompany: ...

    async def create_connection(self, company_id: str, platform: str) -> ProviderConnection: ...

    async def get_connection(self, company_id: str, connection_id: str) -> ProviderConnection: ...

    async def list_connections(self, company_id: str) -> list[ProviderConnection]: ...

    async def disconnect(self, company_id: str, connection_id: str) -> ProviderConnection: ...

    async def refresh_all(self, company_id: str) -> None: ...

    async def refresh_data_type(self, company_id: str, data_type: str,
                                connection_id: str | None = None) -> dict: ...

    async def data_status(self, company_id: str) -> dict[str, DataStatus]: ...

    async def list_page(self, company_id: str, data_type: str, page: int = 1, page_size: int = 500,
                        query: str | None = None) -> RecordPage: ...

    def iter_pages(self, company_id: str, data_type: str, page_size: int = 500,
                   query: str | None = None) -> AsyncIterator[RecordPage]: ...

    async def push(self, company_id: str, connection_id: str, data_type: str, body: dict,
                   idempotency_key: str, timeout_minutes: int | None = None) -> PushResult: ...

    async def update(self, company_id: str, connection_id: str, data_type: str, record_id: str, body: dict,
                     idempotency_key: str, timeout_minutes: int | None = None) -> PushResult: ...

    async def get_push_operation(self, company_id: str, operation_id: str) -> PushResult: ...

    async def find_push_operations(self, company_id: str, query: str | None = None,
                                   page_size: int = 100) -> list[PushResult]: ...

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent: ...

    def parse_webhook(self, body: dict | bytes | str) -> WebhookEvent: ...

    def connection_from_webhook(self, event: WebhookEvent) -> ProviderConnection: ...

    def push_result_from_webhook(self, event: WebhookEvent) -> PushResult: ...

    def read_data_types(self, event: WebhookEvent) -> list[str]: ...

    def read_failures(self, event: WebhookEvent) -> dict[str, str]: ...

    async def close(self) -> None: ...
