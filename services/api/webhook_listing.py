"""Monite-style lists for the partner-webhook resources: filters, sort, order and signed
keyset tokens (with a token, every parameter but `limit` comes from it)."""
from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from services.api.context import parse_query, res
from services.api.pagination import Cursor, Tokens, keyset_page
from services.api.parsing import validate_query

_RANGE_OPS = {"gt": ">", "lt": "<", "gte": ">=", "lte": "<="}


def _parsed(request: web.Request, model: type[BaseModel], tokens: Tokens):
    token = request.query.get("pagination_token")
    if not token:
        return parse_query(request, model), None
    cursor = tokens.decode(token)
    return validate_query(model, {**cursor.query, "limit": request.query.getall("limit", ["100"])[-1]}), cursor


def created_range(query, alias: str, args: list) -> list[str]:
    """SQL conditions for `created_at__gt/lt/gte/lte`, their values appended to ``args``."""
    where = []
    for suffix, op in _RANGE_OPS.items():
        value = getattr(query, f"created_at__{suffix}")
        if value is not None:
            args.append(value)
            where.append(f"{alias}created_at {op} ${len(args)}")
    return where


async def list_page(request: web.Request, *, kind: str, scope: str, model: type[BaseModel],
                    select: str, filters, to_api) -> dict:
    """One page: ``filters(query, args)`` gives the WHERE conditions (scope first, as $1)."""
    tokens = Tokens(res(request).settings.jwt_secret, kind, scope)
    query, cursor = _parsed(request, model, tokens)
    args: list = []
    where = filters(query, args)
    sort = query.sort or "created_at"
    async with res(request).pool.acquire() as conn:
        page = await keyset_page(conn, select=select, where=where, args=args, sort_sql=sort,
                                 descending=query.order == "desc", limit=query.limit, cursor=cursor,
                                 row_key=lambda r: [r[sort].isoformat(), str(r["id"])])
    saved = query.model_dump(mode="json", exclude={"limit", "pagination_token"}, exclude_none=True)
    return {"data": [to_api(r) for r in page.rows],
            "next_pagination_token": tokens.encode(Cursor(saved, "next", page.next_after))
            if page.next_after else None,
            "prev_pagination_token": tokens.encode(Cursor(saved, "prev", page.prev_after))
            if page.prev_after else None}
