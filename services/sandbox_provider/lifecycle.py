"""Connection status changes and the webhooks that announce them."""
from __future__ import annotations

import re

import structlog

from services.sandbox_provider.clock import now_iso
from services.sandbox_provider.state import Company, Connection
from services.sandbox_provider.webhooks import WebhookDeliverer

log = structlog.get_logger(__name__)
BASE_CURRENCY = "EUR"


def connection_info(company: Company) -> dict:
    """What the accounting system tells about the business once linked (free-form in Codat)."""
    slug = re.sub(r"[^a-z0-9]+", "-", company.name.lower()).strip("-") or "company"
    return {"organisationName": company.name, "legalName": company.name,
            "baseCurrency": BASE_CURRENCY, "email": f"accounts@{slug}.example",
            "type": "company", "countryCode": "DE"}


def announce(hooks: WebhookDeliverer, event_type: str, company: Company,
             connection: Connection) -> None:
    hooks.send(event_type, {"referenceCompany": company.reference(),
                            "connection": connection.to_codat()}, company.id)


def link(hooks: WebhookDeliverer, company: Company, connection: Connection) -> None:
    connection.status = "Linked"
    connection.last_sync = now_iso()
    connection.connection_info = connection_info(company)
    log.info("sandbox.connection_linked", company_id=company.id, connection_id=connection.id,
             platform=connection.integration.name)
    announce(hooks, "connection.connected", company, connection)


def disconnect(hooks: WebhookDeliverer, company: Company, connection: Connection,
               status: str) -> None:
    """``Unlinked`` (the client's PATCH) or ``Deauthorized`` (the user revoked access)."""
    connection.status = status
    log.info("sandbox.connection_disconnected", company_id=company.id,
             connection_id=connection.id, status=status)
    announce(hooks, "connection.disconnected", company, connection)
