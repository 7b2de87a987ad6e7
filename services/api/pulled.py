"""Read access to what was pulled: tax rates, ledger accounts, receivables and payables."""
from __future__ import annotations

import uuid

from aiohttp import web

from contracts.api import (
    AccountingPayable,
    AccountingPayableList,
    AccountingReceivable,
    AccountingReceivableList,
    AccountingTaxRateList,
    AccountingTaxRateResponse,
    CursorListQuery,
    LedgerAccountList,
    LedgerAccountResponse,
    OffsetListQuery,
)
from services.api import shapes
from services.api.context import dump, entity_id, parse_query, path_text, res
from services.api.pagination import Cursor, Tokens, keyset_page
from services.core.errors import NotFound

# kind → (Codat data type, to-API function, list model, item model, not-found message)
CURSOR_LISTS = {
    "tax_rates": ("taxRates", shapes.tax_rate, AccountingTaxRateList, AccountingTaxRateResponse, "Tax rate"),
    "ledger_accounts": ("accounts", shapes.ledger_account, LedgerAccountList, LedgerAccountResponse,
                        "Ledger account"),
}
OFFSET_LISTS = {
    "receivables": ("invoices", shapes.receivable, AccountingReceivableList, AccountingReceivable, "Receivable"),
    "payables": ("bills", shapes.payable, AccountingPayableList, AccountingPayable, "Payable"),
}


async def current_connection(conn, entity: uuid.UUID) -> uuid.UUID | None:
    """The connection whose data the entity reads: the connected one, else the newest."""
    return await conn.fetchval(
        "SELECT id FROM accounting_connections WHERE entity_id = $1 "
        "ORDER BY (status = 'connected') DESC, created_at DESC LIMIT 1", entity)


def cursor_list(kind: str):
    data_type, shape, list_model, _, _ = CURSOR_LISTS[kind]

    async def view(request: web.Request) -> web.Response:
        entity = await entity_id(request)
        tokens = Tokens(res(request).settings.jwt_secret, kind, str(entity))
        query = parse_query(request, CursorListQuery)
        cursor = tokens.decode(query.pagination_token) if query.pagination_token else None
        order = cursor.query.get("order", "asc") if cursor else query.order
        async with res(request).pool.acquire() as conn:
            connection = await current_connection(conn, entity)
            page = await keyset_page(
                conn, select="SELECT * FROM provider_records",
                where=["entity_id = $1", "connection_id = $2", "data_type = $3", "NOT is_deleted"],
                args=[entity, connection, data_type], sort_sql="coalesce(name, '')",
                descending=order == "desc", limit=query.limit, cursor=cursor,
                row_key=lambda r: [r["name"] or "", str(r["id"])])
        saved = {"order": order, "sort": "name"}
        return dump(list_model(
            data=[shape(r) for r in page.rows],
            next_pagination_token=tokens.encode(Cursor(saved, "next", page.next_after)) if page.next_after else None,
            prev_pagination_token=tokens.encode(Cursor(saved, "prev", page.prev_after)) if page.prev_after else None))
    return view


def offset_list(kind: str):
    data_type, shape, list_model, _, _ = OFFSET_LISTS[kind]

    async def view(request: web.Request) -> web.Response:
        entity = await entity_id(request)
        query = parse_query(request, OffsetListQuery)
        async with res(request).pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM provider_records WHERE entity_id = $1 AND connection_id = $2 "
                "AND data_type = $3 AND NOT is_deleted ORDER BY modified_at DESC NULLS LAST, id "
                "LIMIT $4 OFFSET $5", entity, await current_connection(conn, entity), data_type,
                query.limit, query.offset)
        return dump(list_model(data=[shape(r) for r in rows]))
    return view


def single(kind: str, param: str, by_provider_id: bool):
    data_type, shape, _, item_model, what = {**CURSOR_LISTS, **OFFSET_LISTS}[kind]

    async def view(request: web.Request) -> web.Response:
        entity = await entity_id(request)
        raw = path_text(request, param)
        async with res(request).pool.acquire() as conn:
            connection = await current_connection(conn, entity)
            if by_provider_id:
                row = await conn.fetchrow("SELECT * FROM provider_records WHERE entity_id = $1 AND "
                                          "connection_id = $2 AND data_type = $3 AND provider_id = $4",
                                          entity, connection, data_type, raw)
            else:
                try:
                    row = await conn.fetchrow("SELECT * FROM provider_records WHERE entity_id = $1 AND "
                                              "data_type = $2 AND id = $3", entity, data_type, uuid.UUID(raw))
                except ValueError:
                    row = None
        if row is None:
            raise NotFound(f"{what} not found")
        return dump(item_model.model_validate(shape(row)))
    return view


def routes() -> list[web.RouteDef]:
    return [
        web.get("/v1/accounting_tax_rates", cursor_list("tax_rates")),
        web.get("/v1/accounting_tax_rates/{tax_rate_id}", single("tax_rates", "tax_rate_id", False)),
        web.get("/v1/ledger_accounts", cursor_list("ledger_accounts")),
        web.get("/v1/ledger_accounts/{ledger_account_id}",
                single("ledger_accounts", "ledger_account_id", False)),
        web.get("/v1/accounting/receivables", offset_list("receivables")),
        web.get("/v1/accounting/receivables/{invoice_id}", single("receivables", "invoice_id", True)),
        web.get("/v1/accounting/payables", offset_list("payables")),
        web.get("/v1/accounting/payables/{payable_id}", single("payables", "payable_id", True)),
    ]
