"""/v1/accounting_synced_records: list (filters, keyset pages), get, push."""
from __future__ import annotations

import uuid

import orjson
import structlog
from aiohttp import web

from contracts.api import SyncedRecordListQuery, SyncRecordResource
from services.api.context import (
    dump,
    entity_id,
    parse_query,
    path_uuid,
    principal,
    res,
    revocation_checked,
    revocation_in_its_query,
)
from services.api.pagination import Cursor, Tokens, keyset_page
from services.api.parsing import validate_query
from services.core.errors import NotFound
from services.push import transitions
from services.synced_records import repo

log = structlog.get_logger(__name__)
_RANGE_OPS = {"gt": ">", "lt": "<", "gte": ">=", "lte": "<="}
_FIELDS = tuple(SyncRecordResource.model_fields)
_SELECT = f"SELECT {', '.join(_FIELDS)} FROM synced_records"


def _filters(query: SyncedRecordListQuery) -> tuple[list[str], list]:
    where, args = ["object_type = $2"], [query.object_type]
    if query.object_id is not None:
        args.append(query.object_id)
        where.append(f"object_id = ${len(args) + 1}")
    if query.object_id__in:
        args.append(list(query.object_id__in))
        where.append(f"object_id = ANY(${len(args) + 1}::uuid[])")
    for column in ("created_at", "updated_at"):
        for suffix, op in _RANGE_OPS.items():
            value = getattr(query, f"{column}__{suffix}")
            if value is not None:
                args.append(value)
                where.append(f"{column} {op} ${len(args) + 1}")
    return where, args


def _query(request: web.Request, tokens: Tokens) -> tuple[SyncedRecordListQuery, Cursor | None]:
    token = request.query.get("pagination_token")
    if not token:
        return parse_query(request, SyncedRecordListQuery, multi=("object_id__in",)), None
    cursor = tokens.decode(token)  # every other parameter but limit comes from the token
    limit = request.query.getall("limit", ["100"])[-1]
    return validate_query(SyncedRecordListQuery, {**cursor.query, "limit": limit}), cursor


def list_body(rows, next_token: str | None, prev_token: str | None) -> bytes:
    """``SyncRecordList`` as JSON, byte for byte what the model would write, straight from the
    rows (the database's values need no validating; their first columns are ``_FIELDS`` in
    order, as ``_SELECT`` reads them): UUIDs as strings, UTC times with "Z"."""
    return orjson.dumps({"data": [dict(zip(_FIELDS, r, strict=False)) for r in rows],  # token_revoked left
                         "next_pagination_token": next_token, "prev_pagination_token": prev_token},
                        option=orjson.OPT_UTC_Z, default=_uuid_text)


def _uuid_text(value: object) -> str:
    """asyncpg's own UUID type (orjson knows only uuid.UUID itself)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


@revocation_in_its_query
async def list_records(request: web.Request) -> web.Response:
    """One round trip: the page and the token's revocation check in one query."""
    entity = await entity_id(request)
    tokens = Tokens(res(request).settings.jwt_secret, "synced_records", str(entity))
    query, cursor = _query(request, tokens)
    where, args = _filters(query)
    sort = query.sort or "created_at"
    async with res(request).pool.acquire() as conn:
        page = await keyset_page(conn, select=_SELECT, where=["entity_id = $1", *where], args=[entity, *args],
                                 sort_sql=sort, descending=query.order == "desc", limit=query.limit,
                                 cursor=cursor, row_key=lambda r: [r[sort].isoformat(), str(r["id"])],
                                 unless_revoked=principal(request).jti)
    revocation_checked(request)
    saved = query.model_dump(mode="json", exclude={"limit", "pagination_token"}, exclude_none=True)
    body = list_body(page.rows,
                     tokens.encode(Cursor(saved, "next", page.next_after)) if page.next_after else None,
                     tokens.encode(Cursor(saved, "prev", page.prev_after)) if page.prev_after else None)
    return web.Response(body=body, content_type="application/json", charset="utf-8")


async def get_record(request: web.Request) -> web.Response:
    row = await repo.get(res(request).pool, path_uuid(request, "synced_record_id"),
                         await entity_id(request))
    if row is None:
        raise NotFound("Synced record not found")
    return dump(SyncRecordResource.model_validate(repo.to_api(row)))


async def push_record(request: web.Request) -> web.Response:
    """Push again after a person fixed the cause; a record that is done stays as it is."""
    entity = await entity_id(request)
    record_id = path_uuid(request, "synced_record_id")
    async with res(request).pool.acquire() as conn, conn.transaction():
        row = await transitions.push_again(conn, record_id, entity)
    log.info("push.manual", record_id=str(record_id), status=row["sync_status"])
    return dump(SyncRecordResource.model_validate(repo.to_api(row)))


def routes() -> list[web.RouteDef]:
    base = "/v1/accounting_synced_records"
    return [web.get(base, list_records), web.get(base + "/{synced_record_id}", get_record),
            web.post(base + "/{synced_record_id}/push", push_record)]
