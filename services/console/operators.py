"""Operators of the console: created by the CLI, passwords kept only as an argon2 hash."""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from services.core.errors import Conflict, NotFound

ROLES = ("viewer", "admin")
_hasher = PasswordHasher()  # argon2id, library defaults (slow on purpose), as for partner secrets
_DUMMY_HASH = _hasher.hash("ledgersync-no-such-operator")  # same work for unknown names
# Failed logins allowed per window, per operator name and per client address (across replicas).
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_REMOTE = 20
FAILURE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class NewOperator:
    name: str
    password: str
    role: str


async def create_operator(pool: asyncpg.Pool, name: str, role: str = "viewer") -> NewOperator:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    password = secrets.token_urlsafe(18)
    try:
        await pool.execute("INSERT INTO operators (id, name, role, password_hash) VALUES ($1, $2, $3, $4)",
                           uuid.uuid4(), name, role, _hasher.hash(password))
    except asyncpg.UniqueViolationError:
        raise Conflict(f"An operator named {name!r} exists already") from None
    return NewOperator(name, password, role)


async def delete_operator(pool: asyncpg.Pool, name: str) -> None:
    """Remove an operator; their sessions go with them (the log of their actions stays)."""
    if await pool.execute("DELETE FROM operators WHERE name = $1", name) == "DELETE 0":
        raise NotFound(f"No operator is named {name!r}")


async def throttled(pool: asyncpg.Pool, name: str, remote: str) -> bool:
    """Too many failed logins lately for this name or from this address."""
    row = await pool.fetchrow(
        "SELECT count(*) FILTER (WHERE name = $1) AS by_name, count(*) FILTER (WHERE remote = $2) AS by_remote "
        "FROM operator_login_attempts WHERE NOT succeeded AND attempted_at > now() - $3::interval "
        "AND (name = $1 OR remote = $2)", name, remote, FAILURE_WINDOW)
    return row["by_name"] >= MAX_FAILURES_PER_NAME or row["by_remote"] >= MAX_FAILURES_PER_REMOTE


async def authenticate(pool: asyncpg.Pool, name: str, password: str, remote: str) -> Operator | None:
    """The operator for a right name and password, else None; every attempt is recorded."""
    row = await pool.fetchrow("SELECT id, name, role, password_hash FROM operators WHERE name = $1", name)
    try:
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
        ok = row is not None
    except (VerifyMismatchError, InvalidHashError):
        ok = False
    await pool.execute("INSERT INTO operator_login_attempts (name, remote, succeeded) VALUES ($1, $2, $3)",
                       name, remote, ok)
    return Operator(str(row["id"]), row["name"], row["role"]) if ok else None


async def purge(pool: asyncpg.Pool) -> None:
    """Expired sessions and old login attempts (the scheduler's tick)."""
    await pool.execute("DELETE FROM operator_sessions WHERE expires_at < now()")
    await pool.execute("DELETE FROM operator_login_attempts WHERE attempted_at < now() - interval '1 day'")
