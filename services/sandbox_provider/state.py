"""In-memory state of one sandbox: companies, their connections, ledgers and operations."""
from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.errors import not_found
from services.sandbox_provider.faults import Faults, InFlight, RateLimiter
from services.sandbox_provider.integrations import Integration
from services.sandbox_provider.ledger import Dataset
from services.sandbox_provider.seed import seed_ledger

# Codat's list path names and their dataType keys (accounts are "chartOfAccounts" elsewhere).
DATA_TYPES: dict[str, str] = {
    "accounts": "chartOfAccounts", "taxRates": "taxRates", "customers": "customers",
    "suppliers": "suppliers", "items": "items", "invoices": "invoices", "bills": "bills",
    "creditNotes": "creditNotes", "payments": "payments", "billPayments": "billPayments",
}
PATH_NAMES: dict[str, str] = {key: path for path, key in DATA_TYPES.items()}
PUSHABLE = ("invoices", "customers", "suppliers", "creditNotes", "payments", "bills", "items")


@dataclass
class Timing:
    """How long the sandbox takes; tests shorten these."""
    complete_after_s: float = 0.1      # push and refresh completion
    timeout_hold_s: float = 45.0       # the timeout fault holds a request this long
    webhook_backoff_s: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 30.0)
    webhook_timeout_s: float = 15.0


@dataclass
class Connection:
    id: str
    company_id: str
    integration: Integration
    link_url: str
    created: str = field(default_factory=now_iso)
    status: str = "PendingAuth"
    last_sync: str | None = None
    connection_info: dict | None = None

    def to_codat(self) -> dict:
        body = {
            "id": self.id, "integrationId": self.integration.integration_id,
            "integrationKey": self.integration.key, "sourceId": self.integration.source_id,
            "sourceType": "Accounting", "platformName": self.integration.name,
            "linkUrl": self.link_url, "status": self.status, "created": self.created,
            "dataConnectionErrors": [],
        }
        if self.last_sync is not None:
            body["lastSync"] = self.last_sync
        if self.connection_info is not None:
            body["connectionInfo"] = self.connection_info
        return body


@dataclass
class Company:
    id: str
    name: str
    redirect: str
    portal: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    created: str = field(default_factory=now_iso)
    last_sync: str | None = None
    connections: dict[str, Connection] = field(default_factory=dict)
    ledger: dict[str, dict[str, dict]] = field(default_factory=dict)  # path name -> id -> record
    data_status: dict[str, dict] = field(default_factory=dict)        # dataType key -> DataStatus
    pulls: list[dict] = field(default_factory=list)
    pushes: dict[str, dict] = field(default_factory=dict)              # key -> PushOperation
    idempotency: dict[str, tuple] = field(default_factory=dict)
    faults: dict = field(default_factory=dict)                         # overrides of the global
    provider: str = "codat"                                            # or "railz": a business

    def to_codat(self) -> dict:
        body = {"id": self.id, "name": self.name, "redirect": self.redirect,
                "created": self.created, "createdByUserName": "sandbox",
                "products": ["accounting"], "tags": self.tags, "referenceSubsidiaryCompanies": [],
                "dataConnections": [c.to_codat() for c in self.connections.values()]}
        if self.last_sync is not None:
            body["lastSync"] = self.last_sync
        if self.description is not None:
            body["description"] = self.description
        return body

    def reference(self) -> dict:
        """Codat's ``companyReference``, as webhook payloads carry it."""
        ref = {"id": self.id, "name": self.name, "links": {"portal": self.portal},
               "tags": self.tags}
        if self.description is not None:
            ref["description"] = self.description
        return ref

    def connection(self, connection_id: str) -> Connection:
        try:
            return self.connections[connection_id]
        except KeyError:
            raise not_found("data connection", connection_id) from None

    def connection_or_none(self, connection_id: str) -> Connection | None:
        return self.connections.get(connection_id)

    def linked(self) -> list[Connection]:
        return [c for c in self.connections.values() if c.status == "Linked"]

    def dataset(self, path_name: str) -> dict[str, dict]:
        return self.ledger.setdefault(path_name, Dataset())


class SandboxState:
    """Everything one sandbox app knows; one per app, nothing global."""

    def __init__(self, base_url: str, rng: random.Random, timing: Timing | None = None) -> None:
        self.base_url = base_url
        self.rng = rng
        self.timing = timing or Timing()
        self.companies: dict[str, Company] = {}
        self.faults = Faults()
        self.rate_limiter = RateLimiter()
        self.in_flight = InFlight()

    def company(self, company_id: str) -> Company:
        try:
            return self.companies[company_id]
        except KeyError:
            raise not_found("company", company_id) from None

    def faults_for(self, company_id: str | None) -> Faults:
        company = self.companies.get(company_id or "")
        return self.faults.merged(company.faults if company else {})

    def new_company(self, name: str, description: str | None, tags: dict[str, str]) -> Company:
        company_id = str(uuid.uuid4())
        company = Company(id=company_id, name=name, description=description, tags=tags,
                          redirect=f"{self.base_url}/link/{company_id}",
                          portal=f"{self.base_url}/admin/companies/{company_id}")
        company.ledger = seed_ledger(company_id)
        self.companies[company_id] = company
        return company

    def new_connection(self, company: Company, integration: Integration) -> Connection:
        connection_id = str(uuid.uuid4())
        link = f"{self.base_url}/link/{company.id}/connections/{connection_id}/start"
        connection = Connection(id=connection_id, company_id=company.id,
                                integration=integration, link_url=link)
        company.connections[connection_id] = connection
        return connection
