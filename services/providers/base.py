"""The provider port: what ledgersync asks of an aggregator, and the neutral values it speaks.

An adapter (``codat.CodatAdapter``; Railz next) turns these calls into one aggregator's HTTP
API. Feature code (connections, pull, push) sees only this module: it never builds a provider's
body, query or status word, and never reads a provider's webhook. The vocabulary:

- ids (company, connection, record, operation) are the provider's, as opaque strings;
- a *platform* is ledgersync's slug: ``xero``, ``quickbooks_online``, ...;
- a *kind* is a synced record's object type: ``customer``, ``vendor``, ``receivable``,
  ``credit_note``, ``bill``, ``payment_record``;
- a *data type* names a dataset with these list names: ``accounts``, ``taxRates``,
  ``customers``, ``suppliers``, ``items``, ``invoices``, ``bills``, ``creditNotes``,
  ``payments``, ``billPayments`` (``DATA_TYPES``);
- a *record* (a row of a listed dataset) is a dict in the canonical record shape, Codat's list
  models, which pull, matching and the API read (``id``, ``modifiedDate``,
  ``metadata.isDeleted``, ``customerName``/``supplierName``, ``addresses``,
  ``effectiveTaxRate``, ...); an adapter for another provider maps its records into it.

Errors are those of ``services.core.errors``: every call may raise ``ProviderUnavailable``
(retry later), ``ProviderRateLimited`` (retry after ``retry_after``; the caller pauses that
connection only), ``ProviderNotFound`` or ``ProviderRejected`` (permanent, with the provider's
messages in ``context["errors"]`` as ``{"message", ...}`` dicts).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

from services.sync.prerequisites import Verdict

ConnectionStatus = Literal["pending_auth", "connected", "disconnected", "deauthorized"]
PushStatus = Literal["pending", "success", "failed", "timed_out"]
WebhookDisposition = Literal["handled", "ignored", "unknown"]
DATA_TYPES = ("accounts", "taxRates", "customers", "suppliers", "items", "invoices", "bills",
              "creditNotes", "payments", "billPayments")


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
    link_expires_at: datetime | None = None  # when the link stops working (None: never; Railz: 5 days)


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
    link_expires_at: datetime | None = None  # when ``link_url`` stops working (None: never)


@dataclass(frozen=True)
class RecordPage:
    results: list[dict]  # records in the canonical record shape
    page: int
    page_size: int
    total: int
    has_next: bool


@dataclass(frozen=True)
class PushResult:
    """A write's outcome: ``pending`` (accepted, not finished), ``success`` (``record_id`` is
    the document's id in the accounting system), ``failed`` (refused; ``errors`` say why) or
    ``timed_out`` (unknown: it may or may not have been written; look it up before writing)."""
    operation_id: str | None
    status: PushStatus
    record_id: str | None  # the record's id in the accounting system, once known
    errors: list[dict]  # {"message", "item_id", "validator"} from the provider's validation
    raw: dict = field(default_factory=dict, repr=False)
    data_type: str | None = None  # list name ("invoices"), when the provider says
    company_id: str | None = None
    connection_id: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class DataStatus:
    data_type: str  # list name ("accounts")
    status: str  # the provider's status word (Codat: Complete, Fetching, FetchError, ...)
    last_successful_sync: str | None
    is_complete: bool  # the latest read finished and succeeded: the dataset can be listed


@dataclass(frozen=True)
class WebhookEvent:
    id: str  # the provider's event id (the delivery's identity when no signed message id)
    event_type: str  # the provider's own name ("invoices.write.successful"), stored as is
    company_id: str | None
    payload: dict
    generated_at: datetime | None


@dataclass(frozen=True)
class WriteAttempt:
    """An earlier write whose outcome is unknown, as ``find_written`` is given it."""
    kind: str
    data_type: str
    body: dict  # exactly the body that write carried
    idempotency_key: str
    operation_id: str | None  # the provider's id of that write, when it ever answered


# ---- what a provider webhook means, in ledgersync's terms (``read_webhook``) ---------------

@dataclass(frozen=True)
class ConnectionNotice:
    """A connection of ``company_id`` changed: the user consented (``connected``), the platform
    refused the link (``failed``: ``connection.error`` says why), or access ended."""
    company_id: str | None
    connection: ProviderConnection
    change: Literal["connected", "failed", "disconnected", "deauthorized"]


@dataclass(frozen=True)
class WriteNotice:
    """A write finished; ``result.operation_id`` is the id ``push``/``update`` returned. A
    ``failed`` or ``timed_out`` result may lack details: ``get_push_operation`` has them."""
    result: PushResult


@dataclass(frozen=True)
class ReadNotice:
    """The provider finished reading ``company_id``: ``data_types`` (list names) can be listed
    now; ``failures`` maps each dataset that could not be read to the provider's reason."""
    company_id: str | None
    data_types: list[str]
    failures: dict[str, str]


WebhookNotice = ConnectionNotice | WriteNotice | ReadNotice


class ProviderAdapter(Protocol):
    """Everything production asks of an aggregator. One instance per process, shared by all
    tenants; every method is safe to call concurrently. Calls are throttled per company by the
    adapter to the provider's limits."""

    name: str  # "codat", "railz": stored on connections; the webhook path is /webhooks/{name}
    # How long the provider answers a repeated write (same idempotency key) with its first answer
    # instead of writing again (Codat: 90 min, less a margin). Within it, a write whose answer was
    # lost is sent again with the same key; after it, or always when None (no idempotency keys,
    # e.g. Railz), it is first looked up with ``find_written``.
    idempotency_window: timedelta | None

    # ---- companies and connections ----

    async def create_company(self, name: str, tags: Mapping[str, str] | None = None) -> ProviderCompany:
        """Create the provider-side company of one entity. ``name`` is the entity's name (the
        adapter cleans or replaces it as the provider requires); ``tags`` (``entity_id``) are
        kept where the provider allows, so a company can be traced back to its entity."""

    async def get_company(self, company_id: str) -> ProviderCompany:
        """The company with its ``link_url`` (where the user chooses a platform and consents);
        a link that expires is renewed here. ``ProviderNotFound`` for an unknown company."""

    async def create_connection(self, company_id: str, platform: str) -> ProviderConnection:
        """A pending connection to ``platform`` (a slug, or an alias such as ``quickbooks``) with
        its own ``link_url``. An unknown platform is ``ValidationFailed`` naming the known ones."""

    async def disconnect(self, company_id: str, connection_id: str) -> ProviderConnection:
        """Revoke the link; the returned connection is ``disconnected``."""

    async def business_info(self, company_id: str, connection_id: str) -> dict | None:
        """What the accounting system tells about the business (``name``, ``legal_name``,
        ``base_currency``, ``email``, ``type``), for a connection whose notice did not carry it."""

    # ---- reading ----

    async def refresh_all(self, company_id: str) -> None:
        """Ask for a fresh read of every dataset. The provider reports the end with a webhook
        that ``read_webhook`` turns into a ``ReadNotice``; that starts the pull."""

    async def list_page(self, company_id: str, data_type: str, page: int = 1,
                        page_size: int = 500) -> RecordPage:
        """One page (1-based) of a dataset, in the canonical record shape, deleted records
        flagged ``metadata.isDeleted``. ``ProviderDatasetNotReady`` while it is not readable yet."""

    async def find_by_name(self, company_id: str, data_type: str, names: Sequence[str]) -> list[dict]:
        """Every record of ``customers`` or ``suppliers`` named one of ``names`` (compared
        case-insensitively, trimmed), as fresh as the provider can tell, deleted and archived ones
        included: the look-up before a contact is created (Codat: its ``query`` parameter; a
        provider without one lists the dataset). Never writes."""

    # ---- writing ----

    def data_type_of(self, kind: str) -> str:
        """The dataset a kind is written to (``receivable`` → ``invoices``); stored with the
        attempt and passed back to ``push``/``update``."""

    def write_body(self, kind: str, data: dict, verdict: Verdict | None = None, *,
                   invoice_id: str | None = None) -> dict:
        """The provider's body for one document (pure). ``data`` is the event's snapshot (for
        ``customer``/``vendor``: the stored counterpart row); ``verdict`` holds the resolved
        references (counterpart, items, tax rates, accounts) and ``invoice_id`` the paid
        invoice's id in the accounting system (``payment_record``). Money is integer minor
        units in ``data``; totals must come out equal to the document's to the cent, or
        ``services.sync.money.TotalsMismatch``."""

    async def push(self, company_id: str, connection_id: str, data_type: str, body: dict,
                   idempotency_key: str, timeout_minutes: int | None = None) -> PushResult:
        """Create one document. ``idempotency_key`` is the same for every retry of one logical
        push; a provider without keys ignores it (``idempotency_window`` is None). The result
        is usually ``pending``: a ``WriteNotice`` or ``get_push_operation`` settles it."""

    async def update(self, company_id: str, connection_id: str, data_type: str, record_id: str, body: dict,
                     idempotency_key: str, timeout_minutes: int | None = None) -> PushResult:
        """Change a document the accounting system has (``record_id``): a canceled bill is voided
        in place. Repeating it is harmless. ``ValidationFailed`` for a data type it cannot change."""

    async def get_push_operation(self, company_id: str, operation_id: str) -> PushResult:
        """The current outcome of one write, with the provider's validation messages."""

    async def find_written(self, company_id: str, connection_id: str, attempt: WriteAttempt) -> str | None:
        """Whether a write of unknown outcome created its document: the document's id in the
        accounting system, or None when it is not there (it is then written again as a new
        push). Codat looks the body's natural key up in the dataset; a provider may also ask
        about ``attempt.operation_id`` first (Railz: its pushStatus). Never writes."""

    # ---- webhooks (no I/O) ----

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str], secret: str) -> WebhookEvent:
        """The event of a raw webhook body, checked against ``secret`` (the configured webhook
        secret): ``WebhookVerificationFailed`` when signature, headers or timestamp do not
        verify (answer 401), ``WebhookMalformed`` when it verifies but is no event (400)."""

    def classify_webhook(self, event_type: str) -> WebhookDisposition:
        """``handled`` (``read_webhook`` gives a notice), ``ignored`` (a kind of the provider's
        we do not act on: acknowledged) or ``unknown`` (refused with 400, nothing stored)."""

    def read_webhook(self, event_type: str, body: dict) -> WebhookNotice:
        """What a stored, verified webhook of a ``handled`` kind means. ``ValidationFailed``
        when the body lacks what its kind must carry (dead-lettered with the reason)."""

    async def close(self) -> None:
        """Release what the adapter holds (caches, tokens); the HTTP session is the caller's."""
