"""Loading what the prerequisite rules need, for one document, in one statement: tax rates,
ledger accounts, the counterpart's name and synced record, each product's name and synced
record, and for a payment its invoice (counterpart, synced record) and the entity's settings."""
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

# The look-ups as CTEs and columns over named parameters, so they run alone (``_INPUTS``) or inside
# another statement (``embedded``: a document event's intake). {conn} the connection, {entity} the
# entity, {role} the counterpart's role, {party} the counterpart id (None: the paid invoice's),
# {paid} the paid invoice (payments), {products} the product ids, {accounts} whether ledger
# accounts are needed; the columns are named {p}rates, {p}accounts, {p}party, {p}items,
# {p}invoice_counterpart, {p}settings and {p}invoice_map. Of a tax rate's record only what the rules
# read comes back (its rate and status), not the whole record.
_CTES = """invoice AS (SELECT data FROM documents WHERE id = {paid}::uuid),
party AS (SELECT c.name, r.id AS record_id, r.sync_status AS status, r.provider_object_id AS provider_id, r.errors
          FROM counterparts c LEFT JOIN synced_records r ON r.connection_id = {conn} AND r.object_type = {role}
           AND r.object_id = c.id
          WHERE c.id = coalesce({party}::uuid, (SELECT (data->>'counterpart_id')::uuid FROM invoice))
            AND c.entity_id = {entity}),
items AS (SELECT w.id, p.name, r.id AS record_id, r.sync_status AS status, r.provider_object_id AS provider_id,
                 r.errors
          FROM unnest({products}::uuid[]) w(id) LEFT JOIN products p ON p.id = w.id
          LEFT JOIN synced_records r ON r.connection_id = {conn} AND r.object_type = 'product' AND r.object_id = w.id)"""
_COLUMNS = """(SELECT jsonb_agg(jsonb_build_object('id', id, 'provider_id', provider_id, 'name', name, 'data',
                jsonb_build_object('effectiveTaxRate', data->'effectiveTaxRate', 'status', data->'status')))
        FROM provider_records WHERE connection_id = {conn} AND data_type = 'taxRates' AND NOT is_deleted) AS {p}rates,
       (SELECT jsonb_object_agg(id, provider_id) FROM provider_records WHERE {accounts} AND connection_id = {conn}
        AND data_type = 'accounts' AND NOT is_deleted) AS {p}accounts,
       (SELECT to_jsonb(party) FROM party) AS {p}party, (SELECT jsonb_agg(to_jsonb(items)) FROM items) AS {p}items,
       (SELECT data->>'counterpart_id' FROM invoice) AS {p}invoice_counterpart,
       (SELECT accounting_settings FROM entities WHERE {paid}::uuid IS NOT NULL AND id = {entity}) AS {p}settings,
       (SELECT to_jsonb(m) FROM (SELECT id AS record_id, sync_status AS status, provider_object_id AS provider_id,
        errors FROM synced_records WHERE connection_id = {conn} AND object_type = 'receivable'
        AND object_id = {paid}) m) AS {p}invoice_map"""
_NAMES = ("rates", "accounts", "party", "items", "invoice_counterpart", "settings", "invoice_map")
_ALONE = {"conn": "$1", "entity": "$2", "role": "$3", "party": "$4", "paid": "$5", "products": "$6",
          "accounts": "$7", "p": ""}
_INPUTS = f"WITH {_CTES.format(**_ALONE)}\nSELECT {_COLUMNS.format(**_ALONE)}"
PREFIX = "inputs_"  # the embedded columns' names begin so


def embedded(conn: str, entity: str, first: int) -> tuple[str, str]:
    """(CTEs, columns) of the look-ups inside another statement: ``conn`` and ``entity`` are that
    statement's SQL for them, the other five parameters (``args``) are ``$first`` onwards."""
    names = {"conn": conn, "entity": entity, "p": PREFIX,
             **{k: f"${first + i}" for i, k in enumerate(("role", "party", "paid", "products", "accounts"))}}
    return _CTES.format(**names), _COLUMNS.format(**names)


def args(kind: str, doc: dict) -> tuple:
    """The look-ups' parameters after the connection and the entity, for ``kind``'s document."""
    payment = kind == "payment_record"
    products = {str(line["product_id"]) for line in doc.get("line_items") or [] if line.get("product_id")}
    return (ROLE_OF[kind], None if payment else _uuid(doc.get("counterpart_id")),
            _uuid(doc["object"]["id"]) if payment else None, [uuid.UUID(p) for p in products],
            kind in ("bill", "payment_record"))


def looked_up(row) -> dict:
    """The look-ups' columns of an embedding statement's row, by their own names."""
    return {name: row[PREFIX + name] for name in _NAMES}


def _uuid(value) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _mapping(row: dict | None) -> Mapping:
    if not row or row.get("status") is None:
        return Mapping()
    return Mapping(row["status"], row["provider_id"], row["errors"], row["record_id"])


def _rates(rows: list[dict] | None) -> tuple[list[TaxRate], dict[str, TaxRate]]:
    rates = [TaxRate(r["provider_id"], r["name"] or r["provider_id"], percent_to_minor(r["data"].get("effectiveTaxRate")),
                     r["data"].get("status")) for r in rows or []]
    return rates, {str(r["id"]): rate for r, rate in zip(rows or [], rates, strict=True)}


def _products(items: list[dict] | None, lines: list[dict]) -> dict[str, tuple[str, Mapping]]:
    names: dict[str, str | None] = {}
    for line in lines:
        if line.get("product_id"):
            names.setdefault(str(line["product_id"]), line.get("name"))
    return {i["id"]: (i["name"] or names.get(i["id"]) or i["id"], _mapping(i)) for i in items or []}


async def _load(conn, connection, kind: str, doc: dict):
    return await conn.fetchrow(_INPUTS, connection["id"], connection["entity_id"], *args(kind, doc))


async def verdict(conn, connection, kind: str, doc: dict, loaded: dict | None = None) -> tuple[Verdict, dict]:
    """(verdict, extra): the rules' outcome and what the body builder needs beyond it
    (``loaded``: the look-ups, made already by the statement that took the document in)."""
    system, row = platform_name(connection), loaded or await _load(conn, connection, kind, doc)
    party = Party(row["party"]["name"], _mapping(row["party"])) if row["party"] else None
    rates, by_id = _rates(row["rates"])
    if kind in ("receivable", "credit_note"):
        return check_sales_document(
            lines=doc["line_items"], party=party, counterpart_id=doc["counterpart_id"], rates=rates,
            products=_products(row["items"], doc["line_items"]), rates_by_id=by_id, system=system), {}
    if kind == "bill":
        return check_bill(lines=doc.get("line_items") or [], counterpart_id=doc.get("counterpart_id"), party=party,
                          rates_by_id=by_id, accounts=row["accounts"] or {}, system=system), {}
    invoice_map = _mapping(row["invoice_map"])
    v = check_payment(invoice=invoice_map,
                      payments_account=((row["settings"] or {}).get("ledger_account_ids") or {}).get("payments"),
                      accounts=row["accounts"] or {}, counterpart_id=row["invoice_counterpart"], party=party,
                      system=system)
    return v, {"invoice_id": invoice_map.provider_id}
