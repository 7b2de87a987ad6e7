"""Signed access tokens (JWT, HS256 pinned; exp, iss and aud always checked)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import jwt

from services.core.errors import Unauthorized
from services.core.settings import Settings

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    partner_id: str
    jti: str
    entity_user_id: str | None = None


def issue(settings: Settings, partner_id: str, entity_user_id: str | None = None) -> str:
    now = datetime.now(UTC)
    claims = {"sub": partner_id, "iss": settings.jwt_issuer, "aud": settings.jwt_audience,
              "iat": now, "nbf": now, "exp": now + timedelta(seconds=settings.token_ttl_s),
              "jti": str(uuid.uuid4()), "typ": "entity_user" if entity_user_id else "partner"}
    if entity_user_id:
        claims["entity_user_id"] = entity_user_id
    return jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM)


def decode(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[ALGORITHM],
                            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
                            options={"require": ["exp", "iss", "aud", "sub", "jti"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Access token has expired") from exc
    except jwt.InvalidTokenError as exc:
        raise Unauthorized("Access token is invalid") from exc
    return Principal(claims["sub"], claims["jti"], claims.get("entity_user_id"))


async def revoke(pool: asyncpg.Pool, settings: Settings, token: str, partner_id: str) -> bool:
    """Revoke a token of this partner; False when the token is not one of theirs."""
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=[ALGORITHM],
                            audience=settings.jwt_audience, issuer=settings.jwt_issuer,
                            options={"verify_exp": False})
    except jwt.InvalidTokenError:
        return False
    if claims.get("sub") != partner_id:
        return False
    await pool.execute(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT DO NOTHING",
        uuid.UUID(claims["jti"]), float(claims["exp"]))
    return True


async def is_revoked(pool: asyncpg.Pool, jti: str) -> bool:
    return bool(await pool.fetchval("SELECT 1 FROM revoked_tokens WHERE jti = $1", uuid.UUID(jti)))


async def fetch_unless_revoked(conn, query: str, args: list, jti: str, order_by: str) -> list:
    """The rows of ``query`` (ordered by ``order_by``, on its columns as ``p.<name>``; a last
    column ``token_revoked`` added) and the token's revocation check in one round trip;
    ``Unauthorized`` when it was revoked."""
    rows = await conn.fetch(
        "SELECT p.*, g.token_revoked FROM (SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = "
        f"${len(args) + 1}) AS token_revoked) g LEFT JOIN LATERAL ({query}) p ON NOT g.token_revoked "
        f"ORDER BY {order_by}", *args, uuid.UUID(jti))
    if rows[0]["token_revoked"]:
        raise Unauthorized("Access token has been revoked")
    return [row for row in rows if row["id"] is not None]  # one row of nulls: the page is empty
