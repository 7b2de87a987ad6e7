"""Console sessions: a signed cookie naming a row in PostgreSQL (expiring, removed at logout),
and CSRF tokens for every form (the session's, or a signed pre-login one)."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import asyncpg

from services.console.operators import Operator

COOKIE = "ledgersync_console"
LOGIN_COOKIE = "ledgersync_console_login"
TTL = timedelta(hours=8)


class Signer:
    """HMAC-SHA256 signatures keyed from the process's secret (jwt_secret), for console use only."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"ledgersync-console-v1", hashlib.sha256).digest()

    def sign(self, value: str) -> str:
        return f"{value}.{self._mac(value)}"

    def unsign(self, signed: str | None) -> str | None:
        value, _, mac = (signed or "").rpartition(".")
        return value if value and hmac.compare_digest(mac, self._mac(value)) else None

    def _mac(self, value: str) -> str:
        return hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def login_token(self, nonce: str) -> str:
        """The login form's CSRF token, bound to the pre-login cookie's nonce."""
        return self._mac("login:" + nonce)


async def open_session(pool: asyncpg.Pool, operator: Operator) -> str:
    session_id = secrets.token_urlsafe(32)
    await pool.execute("INSERT INTO operator_sessions (id, operator_id, csrf_token, expires_at) "
                       "VALUES ($1, $2::uuid, $3, now() + $4::interval)", session_id, operator.id,
                       secrets.token_urlsafe(32), TTL)
    return session_id


async def load(pool: asyncpg.Pool, session_id: str) -> tuple[Operator, str] | None:
    """(operator, csrf token) of a live session, else None."""
    row = await pool.fetchrow(
        "SELECT o.id, o.name, o.role, s.csrf_token FROM operator_sessions s JOIN operators o "
        "ON o.id = s.operator_id WHERE s.id = $1 AND s.expires_at > now()", session_id)
    return (Operator(str(row["id"]), row["name"], row["role"]), row["csrf_token"]) if row else None


async def close(pool: asyncpg.Pool, session_id: str) -> None:
    await pool.execute("DELETE FROM operator_sessions WHERE id = $1", session_id)
