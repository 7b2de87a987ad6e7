"""Multi-step flows shared by the end-to-end tests."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import httpx

from tests.support import client


def consent(connection_url: str, platform: str = "Xero") -> httpx.Response:
    """Submit the consent page's form the way a browser without JavaScript would."""
    page = httpx.get(connection_url)
    assert page.status_code == 200, page.text
    assert 'name="platform"' in page.text and "Allow access" in page.text
    action = re.search(r'<form[^>]*action="([^"]*)"', page.text)
    target = httpx.URL(connection_url).join(action.group(1)) if action and action.group(1) else connection_url
    return httpx.post(str(target), data={"platform": platform}, follow_redirects=True)


def sandbox_company(system, entity_id: str) -> dict:
    companies = httpx.get(f"{system.sandbox_url}/admin/companies").json()
    return next(c for c in companies if (c.get("tags") or {}).get("entity_id") == entity_id)


def wait_status(sdk, connection_id: str, status: str):
    return client.wait_for(lambda: (c := sdk.accounting.connections.get_by_id(connection_id)).status == status
                           and c, what=f"connection {connection_id} to be {status}")


def wait_pulled(sdk, connection_id: str, after: datetime | None = None, timeout: float = 30):
    def pulled():
        c = sdk.accounting.connections.get_by_id(connection_id)
        return c.last_pull is not None and (after is None or c.last_pull > after) and c
    return client.wait_for(pulled, timeout=timeout, what=f"a pull of connection {connection_id}")


def connect(system, sdk, entity_id: str, platform: str = "Xero"):
    """Create a connection, allow it on the consent page, wait for the initial pull."""
    created = sdk.accounting.connections.create()
    consent(created.connection_url, platform)
    wait_status(sdk, created.id, "connected")
    return wait_pulled(sdk, created.id)


def counterpart(system, entity_id: str, name: str, *, country=None, city=None, line1=None,
                customer=True, vendor=False, counterpart_id: str | None = None) -> str:
    cid = counterpart_id or str(uuid.uuid4())
    address = {k: v for k, v in (("country", country), ("city", city), ("line1", line1)) if v}
    client.publish(system.settings.amqp_url, client.cloud_event("counterpart.created", {
        "id": cid, "type": "organization", "name": name, "is_customer": customer, "is_vendor": vendor,
        "address": address or None, "updated_at": datetime.now(UTC).isoformat()}, entity_id))
    return cid


def sync_and_wait(sdk, connection_id: str, timeout: float = 30):
    before = sdk.accounting.connections.get_by_id(connection_id).last_pull
    sdk.accounting.connections.sync_by_id(connection_id)
    return wait_pulled(sdk, connection_id, after=before, timeout=timeout)


def product(system, entity_id: str, name: str, product_id: str | None = None) -> str:
    pid = product_id or str(uuid.uuid4())
    client.publish(system.settings.amqp_url, client.cloud_event("product.created", {
        "id": pid, "name": name, "type": "service", "price": {"value": 12000, "currency": "EUR"},
        "updated_at": datetime.now(UTC).isoformat()}, entity_id))
    return pid


def invoice_data(counterpart_id: str, lines: list[tuple[str | None, str, float, int, int]], *,
                 invoice_id: str | None = None, number: str | None = None, issued_at: datetime | None = None,
                 currency: str = "EUR") -> dict:
    """lines: (product_id, name, quantity, unit_price minor, vat percent minor)."""
    items, subtotal, vat = [], 0, 0
    for product_id, name, quantity, unit_price, rate in lines:
        sub = round(unit_price * quantity)
        tax = round(sub * rate / 10000)
        subtotal, vat = subtotal + sub, vat + tax
        items.append({"product_id": product_id, "name": name, "quantity": quantity, "unit_price": unit_price,
                      "vat_rate_value": rate})
    now = datetime.now(UTC)
    return {"id": invoice_id or str(uuid.uuid4()), "document_id": number or f"INV-{uuid.uuid4().hex[:8]}",
            "counterpart_id": counterpart_id, "currency": currency, "issue_date": now.date().isoformat(),
            "due_date": now.date().isoformat(), "issued_at": (issued_at or now).isoformat(),
            "line_items": items, "subtotal": subtotal, "total_vat_amount": vat, "total_amount": subtotal + vat,
            "memo": "thanks", "updated_at": now.isoformat()}


def bill_data(vendor: str, lines: list[dict], status: str = "issued", issued_at=None) -> dict:
    """A payable.issued body; each line may carry ``_rate`` (its VAT percent, minor units)."""
    now = datetime.now(UTC)
    subtotal = sum(round(line["unit_price"] * line["quantity"]) for line in lines)
    vat = sum(round(round(line["unit_price"] * line["quantity"]) * line.pop("_rate", 0) / 10000) for line in lines)
    return {"id": str(uuid.uuid4()), "document_id": f"BILL-{uuid.uuid4().hex[:6]}", "counterpart_id": vendor,
            "currency": "EUR", "issued_at": (issued_at or now.date()).isoformat(), "due_date": now.date().isoformat(),
            "status": status, "line_items": lines, "subtotal": subtotal, "total_vat_amount": vat,
            "total_amount": subtotal + vat, "updated_at": now.isoformat()}


def record_of(sdk, object_type: str, object_id: str, status: str | tuple[str, ...] = ("done", "error"),
              timeout: float = 30):
    statuses = (status,) if isinstance(status, str) else status

    def check():
        found = sdk.accounting.synced_records.get(object_type=object_type, object_id=object_id).data
        return found and found[0].sync_status in statuses and found[0]
    return client.wait_for(check, timeout=timeout, every=0.2,
                           what=f"{object_type} {object_id} to be {'/'.join(statuses)}")


def ledger(system, entity_id: str, data_type: str) -> list[dict]:
    company = sandbox_company(system, entity_id)
    return httpx.get(f"{system.sandbox_url}/admin/companies/{company['id']}/{data_type}").json()["results"]


def register_entity(system, partner: dict, token: str, name: str) -> tuple[str, object]:
    """Publish entity.created for ``partner`` and wait until the API knows it: (entity id, sdk)."""
    entity = str(uuid.uuid4())
    client.publish(system.settings.amqp_url, client.cloud_event(
        "entity.created", client.entity_data(entity, partner["partner_id"], name), entity))
    headers = {"Authorization": f"Bearer {token}", "X-Monite-Version": client.VERSION, "X-Monite-Entity-Id": entity}
    client.wait_for(lambda: httpx.get(f"{system.api_url}/v1/accounting_connections", headers=headers).status_code
                    == 200, what=f"entity {entity} to be registered")
    return entity, client.sdk(system.api_url, token, entity)


def connected_shop(system, partner: dict, token: str, name: str, product_name: str = "Consulting Hour"):
    """An entity with a connected, pulled connection and a product mapped to a sandbox item:
    (entity id, sdk, connection, product id)."""
    entity, sdk = register_entity(system, partner, token, name)
    product_id = product(system, entity, product_name)
    connection = connect(system, sdk, entity)
    record_of(sdk, "product", product_id, "done")
    return entity, sdk, connection, product_id
