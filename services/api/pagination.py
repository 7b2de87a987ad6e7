"""Opaque, signed keyset-pagination tokens and the keyset query they drive.

A token carries the query it belongs to (filters, sort, order), the direction and the row to
continue from; it is HMAC-signed, so a tampered token is a 422, never a 500 or a leak."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from services.auth import tokens
from services.core.errors import ValidationFailed


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _bad_token(why: str) -> ValidationFailed:
    return ValidationFailed(f"Invalid pagination_token: {why}", [
        {"loc": ["query", "pagination_token"], "msg": f"Invalid pagination token: {why}", "type": "value_error"}])


@dataclass(frozen=True)
class Cursor:
    query: dict            # the original query (filters, sort, order) minus limit
    direction: str         # "next" | "prev"
    after: list            # [sort value, id] of the row to continue from


class Tokens:
    def __init__(self, secret: str, kind: str, scope: str) -> None:
        self.key = hashlib.sha256(f"pagination:{secret}".encode()).digest()
        self.kind, self.scope = kind, scope  # scope: the entity; a token is useless elsewhere

    def encode(self, cursor: Cursor) -> str:
        body = json.dumps({"k": self.kind, "s": self.scope, "q": cursor.query, "d": cursor.direction,
                           "a": cursor.after}, separators=(",", ":"), sort_keys=True, default=str).encode()
        mac = hmac.new(self.key, body, hashlib.sha256).digest()[:16]
        return f"{_b64(body)}.{_b64(mac)}"

    def decode(self, token: str) -> Cursor:
        try:
            body_text, mac_text = token.split(".")
            body, mac = _unb64(body_text), _unb64(mac_text)
        except ValueError:
            raise _bad_token("malformed") from None
        if not hmac.compare_digest(mac, hmac.new(self.key, body, hashlib.sha256).digest()[:16]):
            raise _bad_token("signature does not match (tampered or from another server)")
        data = json.loads(body)
        if data.get("k") != self.kind or data.get("s") != self.scope:
            raise _bad_token("it belongs to another list")
        return Cursor(data["q"], data["d"], data["a"])


@dataclass
class Page:
    rows: list
    next_after: list | None
    prev_after: list | None


async def keyset_page(conn, *, select: str, where: list[str], args: list, sort_sql: str,
                      descending: bool, limit: int, cursor: Cursor | None, row_key,
                      unless_revoked: str | None = None) -> Page:
    """One page ordered by (sort, id); ``row_key(row)`` gives a row's [sort value, id].
    ``unless_revoked``: an access token's jti, checked in the same round trip (``Unauthorized``)."""
    backwards = cursor is not None and cursor.direction == "prev"
    if cursor is not None:
        after = cursor.after
        value = datetime.fromisoformat(after[0]) if sort_sql.endswith("_at") else after[0]
        forward_op = "<" if descending else ">"
        op = {"<": ">", ">": "<"}[forward_op] if backwards else forward_op
        args = [*args, value, after[1]]
        where = [*where, f"({sort_sql}, id) {op} (${len(args) - 1}, ${len(args)}::uuid)"]
    scan_desc = descending != backwards
    direction = "DESC" if scan_desc else "ASC"
    sql = (f"{select} WHERE {' AND '.join(where)} ORDER BY {sort_sql} {direction}, id {direction} "
           f"LIMIT {limit + 1}")
    if unless_revoked is None:
        rows = list(await conn.fetch(sql, *args))
    else:
        rows = await tokens.fetch_unless_revoked(conn, sql, args, unless_revoked,
                                                 f"p.{sort_sql} {direction}, p.id {direction}")
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    if not rows:
        return Page([], None, None)
    first, last = row_key(rows[0]), row_key(rows[-1])
    if backwards:
        return Page(rows, last, first if more else None)
    return Page(rows, last if more else None, first if cursor is not None else None)
