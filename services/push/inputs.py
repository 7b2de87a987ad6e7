"""Loading what the prerequisite rules need, for one document, from the database."""
from __future__ import annotations

import uuid

from services.sync.money import percent_to_minor
from services.sync.platforms import platform_name
from services.sync.prerequisites import (
    Mapping,
    Party,
    TaxRate,
    Verdict,
    check_bill,
    check_payment,
    check_sales_document,
)

ROLE_OF = {"receivable": "customer", "credit_note": "customer", "payment_record": "customer", "bill": "vendor"}


async def mapping(conn, connection_id, object_type: str, object_id) -> Mapping:
    row = await conn.fetchrow("SELECT id, sync_status, provider_object_id, errors FROM synced_records "
                              "WHERE connection_id = $1 AND object_type = $2 AND object_id = $3",
                              connection_id, object_type, uuid.UUID(str(object_id)))
    if row is None:
        return Mapping()
    return Mapping(row["sync_status"], row["provider_object_id"], row["errors"], str(row["id"]))


async def party(conn, connection, counterpart_id, role: str) -> Party | None:
    if not counterpart_id:
        return None
    row = await conn.fetchrow("SELECT name FROM counterparts WHERE id = $1 AND entity_id = $2",
                              uuid.UUID(str(counterpart_id)), connection["entity_id"])
    if row is None:
        return None
    return Party(row["name"], await mapping(conn, connection["id"], role, counterpart_id))


async def tax_rates(conn, connection) -> tuple[list[TaxRate], dict[str, TaxRate]]:
    rows = await conn.fetch("SELECT id, provider_id, name, data FROM provider_records WHERE connection_id = $1 "
                            "AND data_type = 'taxRates' AND NOT is_deleted", connection["id"])
    rates = [TaxRate(r["provider_id"], r["name"] or r["provider_id"],
                     percent_to_minor(r["data"].get("effectiveTaxRate")), r["data"].get("status")) for r in rows]
    return rates, {str(r["id"]): rate for r, rate in zip(rows, rates, strict=True)}


async def accounts(conn, connection) -> dict[str, str]:
    """Our ledger account id → the accounting system's id."""
    rows = await conn.fetch("SELECT id, provider_id FROM provider_records WHERE connection_id = $1 "
                            "AND data_type = 'accounts' AND NOT is_deleted", connection["id"])
    return {str(r["id"]): r["provider_id"] for r in rows}


async def products(conn, connection, lines: list[dict]) -> dict[str, tuple[str, Mapping]]:
    out = {}
    for line in lines:
        pid = line.get("product_id")
        if pid and str(pid) not in out:
            name = await conn.fetchval("SELECT name FROM products WHERE id = $1", uuid.UUID(str(pid)))
            out[str(pid)] = (name or line.get("name") or str(pid),
                             await mapping(conn, connection["id"], "product", pid))
    return out


async def verdict(conn, connection, kind: str, doc: dict) -> tuple[Verdict, dict]:
    """(verdict, extra): the rules' outcome and what the body builder needs beyond it."""
    system = platform_name(connection)
    if kind in ("receivable", "credit_note"):
        rates, by_id = await tax_rates(conn, connection)
        return check_sales_document(
            lines=doc["line_items"], party=await party(conn, connection, doc["counterpart_id"], "customer"),
            counterpart_id=doc["counterpart_id"], products=await products(conn, connection, doc["line_items"]),
            rates=rates, rates_by_id=by_id, system=system), {}
    if kind == "bill":
        _, by_id = await tax_rates(conn, connection)
        return check_bill(lines=doc.get("line_items") or [], counterpart_id=doc.get("counterpart_id"),
                          party=await party(conn, connection, doc.get("counterpart_id"), "vendor"),
                          rates_by_id=by_id, accounts=await accounts(conn, connection), system=system), {}
    invoice_id = doc["object"]["id"]
    invoice = await conn.fetchrow("SELECT data FROM documents WHERE id = $1", uuid.UUID(str(invoice_id)))
    counterpart_id = invoice["data"]["counterpart_id"] if invoice else None
    settings = await conn.fetchval("SELECT accounting_settings FROM entities WHERE id = $1", connection["entity_id"])
    invoice_map = await mapping(conn, connection["id"], "receivable", invoice_id)
    v = check_payment(invoice=invoice_map,
                      payments_account=((settings or {}).get("ledger_account_ids") or {}).get("payments"),
                      accounts=await accounts(conn, connection), counterpart_id=counterpart_id,
                      party=await party(conn, connection, counterpart_id, "customer"), system=system)
    return v, {"invoice_id": invoice_map.provider_id}

