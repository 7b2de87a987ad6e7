"""What the Railz surface keeps beside the shared sandbox state: access tokens, sites links,
push requests and sync requests. Businesses are sandbox companies (``provider="railz"``) and
their connections sandbox connections, so both surfaces share one ledger per company."""
from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import jwt

from services.sandbox_provider.clock import now, now_iso
from services.sandbox_provider.integrations import INTEGRATIONS, Integration
from services.sandbox_provider.railz.errors import RailzError
from services.sandbox_provider.seed import seed_ledger
from services.sandbox_provider.state import Company, Connection, SandboxState

# Railz serviceName of each sandbox integration (Railz has no separate QBO sandbox service)
SERVICES: dict[str, str] = {"Xero": "xero", "QuickBooks Online": "quickbooks"}
RAILZ_STATUS = {"PendingAuth": "pending", "Linked": "active", "Unlinked": "disconnected",
                "Deauthorized": "disconnected"}
DISCONNECT_REASON = {"Unlinked": "disconnectedByCustomer", "Deauthorized": "authorizationRevoked"}


@dataclass
class RailzTiming:
    token_ttl_s: float = 3600.0              # Railz: 60 minutes
    link_ttl: timedelta = timedelta(days=5)  # generateUrl: 5 days
    webhook_retries: int = 2                 # Railz sends a failed webhook twice more


@dataclass
class SiteLink:
    id: str
    company_id: str
    url: str
    expires: datetime


@dataclass
class Business:
    """What a Railz business has beyond its sandbox company."""
    metadata: list[dict] = field(default_factory=list)
    updated: str = field(default_factory=now_iso)


def service_of(integration: Integration) -> str:
    return SERVICES.get(integration.name, "quickbooks")


def integration_for(service: str) -> Integration | None:
    name = next((n for n, s in SERVICES.items() if s == service), None)
    return next((i for i in INTEGRATIONS if i.name == name), None)


class RailzState:
    def __init__(self, shared: SandboxState, client_id: str, secret_key: str,
                 timing: RailzTiming | None = None) -> None:
        self.shared = shared
        self.client_id, self.secret_key = client_id, secret_key
        self.timing = timing or RailzTiming()
        self._signing_key = secrets.token_bytes(32)
        self.revoked_before = 0.0
        self.businesses: dict[str, Business] = {}
        self.links: dict[str, SiteLink] = {}
        self.pushes: dict[str, dict[str, dict]] = {}   # connection id -> id -> PushStatusDataV2
        self.synced: dict[str, dict[str, dict]] = {}   # connection id -> dataType -> status
        self.syncs: dict[str, dict] = {}               # connection id -> latest sync (syncInfo)

    # ---- tokens -----------------------------------------------------------------------------

    def issue_token(self) -> tuple[str, int]:
        issued = time.time()
        ttl = int(self.timing.token_ttl_s)
        claims = {"sub": self.client_id, "iat": int(issued), "exp": int(issued) + max(ttl, 1),
                  "jti": uuid.uuid4().hex, "iss": "railz-sandbox", "ms": issued}
        return jwt.encode(claims, self._signing_key, algorithm="HS256"), ttl

    def check_token(self, token: str) -> None:
        try:
            claims = jwt.decode(token, self._signing_key, algorithms=["HS256"])
        except jwt.ExpiredSignatureError:
            raise RailzError(401, "Unauthorized: the access token has expired") from None
        except jwt.InvalidTokenError:
            raise RailzError(401, "Unauthorized: the access token is not valid") from None
        if float(claims.get("ms", 0)) <= self.revoked_before:
            raise RailzError(401, "Unauthorized: the access token was revoked")

    def revoke_tokens(self) -> None:
        self.revoked_before = time.time()

    # ---- businesses and connections ---------------------------------------------------------

    def railz_companies(self) -> list[Company]:
        return [c for c in self.shared.companies.values() if c.provider == "railz"]

    def business(self, business_uuid: str) -> Company:
        company = self.shared.companies.get(business_uuid)
        if company is None or company.provider != "railz":
            raise RailzError(404, f"Business {business_uuid} not found")
        return company

    def new_business(self, name: str, metadata: list[dict]) -> Company:
        business_uuid = f"BIZ-{uuid.uuid4()}"
        company = Company(id=business_uuid, name=name, redirect="", tags={"entity_id": name},
                          portal=f"{self.shared.base_url}/admin/companies/{business_uuid}",
                          provider="railz")
        company.ledger = seed_ledger(business_uuid)
        self.shared.companies[business_uuid] = company
        self.businesses[business_uuid] = Business(metadata=metadata)
        return company

    def display_name(self, company: Company) -> str:
        """The business's name in the accounting system: the ``entity_name`` metadata ledgersync
        sets, else its businessName."""
        return next((m["value"] for m in self.businesses[company.id].metadata if m.get("name") == "entity_name"),
                    company.name)

    def connection(self, connection_uuid: str | None) -> tuple[Company, Connection]:
        for company in self.railz_companies():
            found = company.connections.get(connection_uuid or "")
            if found is not None:
                return company, found
        raise RailzError(404, f"Connection {connection_uuid} not found")

    def company_of(self, connection_or_business: str | None) -> str | None:
        """The company id behind a connection or business id (for per-company faults)."""
        if not connection_or_business:
            return None
        if connection_or_business in self.shared.companies:
            return connection_or_business
        for company in self.railz_companies():
            if connection_or_business in company.connections:
                return company.id
        return None

    def new_connection(self, company: Company, integration: Integration, link: str) -> Connection:
        connection = Connection(id=f"CON-{uuid.uuid4()}", company_id=company.id,
                                integration=integration, link_url=link)
        company.connections[connection.id] = connection
        return connection

    # ---- sites links ------------------------------------------------------------------------

    def new_link(self, company: Company) -> SiteLink:
        site_id = f"ste-{uuid.uuid4()}"
        link = SiteLink(site_id, company.id, f"{self.shared.base_url}/sites/{site_id}",
                        now() + self.timing.link_ttl)
        self.links[site_id] = link
        return link

    def expire_links(self, company_id: str) -> int:
        expired = [link for link in self.links.values() if link.company_id == company_id]
        for link in expired:
            link.expires = now() - timedelta(seconds=1)
        return len(expired)
