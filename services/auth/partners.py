"""Partners: credentials are issued once and stored only as an argon2 hash."""
from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

import asyncpg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

_hasher = PasswordHasher()  # argon2id, library defaults (slow on purpose)
# Verified against when the client id is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("ledgersync-no-such-partner")


@dataclass(frozen=True)
class PartnerCredentials:
    partner_id: str
    client_id: str
    client_secret: str


async def create_partner(pool: asyncpg.Pool, name: str) -> PartnerCredentials:
    partner_id, client_id = uuid.uuid4(), str(uuid.uuid4())
    secret = secrets.token_urlsafe(32)
    await pool.execute(
        "INSERT INTO partners (id, name, client_id, client_secret_hash) VALUES ($1, $2, $3, $4)",
        partner_id, name, client_id, _hasher.hash(secret))
    return PartnerCredentials(str(partner_id), client_id, secret)


async def authenticate(pool: asyncpg.Pool, client_id: str, client_secret: str) -> str | None:
    """The partner id for valid credentials, else None (constant work either way)."""
    row = await pool.fetchrow("SELECT id, client_secret_hash FROM partners WHERE client_id = $1",
                              client_id)
    try:
        _hasher.verify(row["client_secret_hash"] if row else _DUMMY_HASH, client_secret)
    except (VerifyMismatchError, InvalidHashError):
        return None
    return str(row["id"]) if row else None
