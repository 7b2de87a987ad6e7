"""The messages both benches publish: CloudEvents as upstream services send them (pure)."""
from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

RATES = (1900, 700)  # 19% and 7%: both exist in the sandbox's seeded ledger


def cloud_event(type_: str, data: dict, entity_id: str) -> dict:
    return {"specversion": "1.0", "id": str(uuid.uuid4()), "source": "ledgersync-bench",
            "type": type_, "time": datetime.now(UTC).isoformat(), "entityid": entity_id,
            "datacontenttype": "application/json", "data": data}


def entity(entity_id: str, partner_id: str) -> dict:
    return {"id": entity_id, "partner_id": partner_id, "name": "Bench Shop GmbH", "base_currency": "EUR",
            "updated_at": datetime.now(UTC).isoformat()}


def product(product_id: str, name: str) -> dict:
    return {"id": product_id, "name": name, "type": "service", "price": {"value": 12000, "currency": "EUR"},
            "updated_at": datetime.now(UTC).isoformat()}


def counterpart(counterpart_id: str, name: str) -> dict:
    return {"id": counterpart_id, "type": "organization", "name": name, "is_customer": True,
            "is_vendor": False, "address": {"country": "DE", "city": "Berlin", "line1": "Benchstr. 1"},
            "updated_at": datetime.now(UTC).isoformat()}


def invoice(rng: random.Random, number: str, counterpart_id: str, product_id: str) -> dict:
    """A receivable with 1–3 lines whose integer totals add up exactly."""
    items, subtotal, vat = [], 0, 0
    for line in range(rng.randint(1, 3)):
        quantity, unit_price, rate = rng.randint(1, 5), rng.randrange(1000, 20000, 50), rng.choice(RATES)
        sub = unit_price * quantity
        tax = (sub * rate + 5000) // 10000  # half up, as the push body's rounding
        subtotal, vat = subtotal + sub, vat + tax
        items.append({"product_id": product_id, "name": f"Consulting, part {line + 1}", "quantity": quantity,
                      "unit_price": unit_price, "vat_rate_value": rate})
    now = datetime.now(UTC)
    return {"id": str(uuid.uuid4()), "document_id": number, "counterpart_id": counterpart_id,
            "currency": "EUR", "issue_date": now.date().isoformat(), "due_date": now.date().isoformat(),
            "issued_at": now.isoformat(), "line_items": items, "subtotal": subtotal,
            "total_vat_amount": vat, "total_amount": subtotal + vat, "memo": "ledgersync bench",
            "updated_at": now.isoformat()}


def invoices(count: int, entity_id: str, counterpart_id: str, product_id: str) -> list[dict]:
    """``count`` receivable.issued events with distinct ids and document numbers."""
    run, rng = uuid.uuid4().hex[:6].upper(), random.Random(count)
    return [cloud_event("receivable.issued", invoice(rng, f"BENCH-{run}-{i + 1:06d}", counterpart_id, product_id),
                        entity_id) for i in range(count)]
