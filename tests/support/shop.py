"""The shop of service tests: an entity of a partner whose connection the provider (the port
double) reported connected and whose first pull is done: ledger accounts for sales and payments, a
19% tax rate, an item matched to the entity's product ``Consulting Hour``, a customer ``Known
Customer GmbH`` and a supplier ``Known Supplier AG``, each matched to a counterpart.

PYTEST_DONT_REWRITE
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from services.auth.partners import PartnerCredentials, create_partner
from services.pull.store import PULLED_TYPES, record_id
from tests.support import client
from tests.support.pipeline import Pipeline
from tests.support.port_double import PortDouble

NOW = "2026-01-01T00:00:00Z"


def seeded() -> dict[str, list[dict]]:
    """What the accounting system holds before anything is pushed."""
    return {
        "accounts": [{"id": "acc-sales", "name": "Sales", "nominalCode": "200", "status": "Active",
                      "modifiedDate": NOW},
                     {"id": "acc-bank", "name": "Bank", "nominalCode": "090", "status": "Active",
                      "modifiedDate": NOW}],
        "taxRates": [{"id": "tax-19", "name": "VAT 19%", "effectiveTaxRate": 19.0, "status": "Active",
                      "modifiedDate": NOW}],
        "items": [{"id": "item-consulting", "name": "Consulting Hour", "status": "Active", "type": "Service",
                   "modifiedDate": NOW}],
        "customers": [{"id": "cust-known", "customerName": "Known Customer GmbH", "status": "Active",
                       "modifiedDate": NOW}],
        "suppliers": [{"id": "supp-known", "supplierName": "Known Supplier AG", "status": "Active",
                       "modifiedDate": NOW}],
        **{t: [] for t in ("invoices", "bills", "creditNotes", "payments", "billPayments")},
    }


@dataclass
class Shop:
    partner: PartnerCredentials
    entity_id: str
    connection_id: uuid.UUID
    company_id: str
    product_id: str        # "Consulting Hour", matched to item-consulting
    customer_id: str       # "Known Customer GmbH", matched to cust-known
    vendor_id: str         # "Known Supplier AG", matched to supp-known
    headers: dict[str, str]  # the partner's API headers for this entity

    def account(self, provider_id: str) -> str:
        """Our id of a pulled ledger account (what GET /v1/ledger_accounts shows)."""
        return str(record_id(self.connection_id, "accounts", provider_id))

    def tax_rate(self, provider_id: str) -> str:
        return str(record_id(self.connection_id, "taxRates", provider_id))


def counterpart_data(name: str, *, customer: bool = True, vendor: bool = False, counterpart_id=None) -> dict:
    return {"id": counterpart_id or str(uuid.uuid4()), "type": "organization", "name": name,
            "is_customer": customer, "is_vendor": vendor, "updated_at": datetime.now(UTC).isoformat()}


async def connected_shop(pipeline: Pipeline, pool, double: PortDouble) -> Shop:
    partner = await create_partner(pool, "Acme Platform")
    entity = str(uuid.uuid4())
    await pipeline.event("entity.created", client.entity_data(entity, partner.partner_id), entity)
    product, customer, vendor = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await pipeline.event("product.created", {"id": product, "name": "Consulting Hour", "type": "service",
                                             "updated_at": datetime.now(UTC).isoformat()}, entity)
    await pipeline.event("counterpart.created", counterpart_data("Known Customer GmbH", counterpart_id=customer),
                         entity)
    await pipeline.event("counterpart.created", counterpart_data("Known Supplier AG", customer=False, vendor=True,
                                                                 counterpart_id=vendor), entity)
    headers = {"Authorization": f"Bearer {await pipeline.token(partner)}", "X-Monite-Version": client.VERSION,
               "X-Monite-Entity-Id": entity}
    response = await pipeline.api.post("/v1/accounting_connections", headers=headers)
    assert response.status == 201, await response.text()
    connection = uuid.UUID((await response.json())["id"])
    company = await pool.fetchval("SELECT provider_company_id FROM accounting_connections WHERE id = $1", connection)
    assert await pipeline.webhook(double.connection_webhook(company, "link-1", "connected")) == \
        (200, {"status": "accepted"})
    await pipeline.run()  # connected → sync_connection → the provider is asked to read
    assert "refresh_all" in double.calls
    await pipeline.webhook({"id": f"evt-read-{company}", "type": "read.finished", "company_id": company,
                            "data_types": list(PULLED_TYPES)})
    await pipeline.run()  # pull_connection: store, match
    assert await pool.fetchval("SELECT last_pull IS NOT NULL FROM accounting_connections WHERE id = $1", connection)
    return Shop(partner, entity, connection, company, product, customer, vendor, headers)




async def settle_write(pipeline: Pipeline, double: PortDouble, write, status: str = "success", **how) -> None:
    """The provider finishes ``write`` (``PortDouble.finish``) and says so in a webhook; the
    pipeline then runs until the outbox is quiet."""
    double.finish(write.operation_id, status, **how)
    await pipeline.webhook(double.write_webhook(write.operation_id))
    await pipeline.run()
