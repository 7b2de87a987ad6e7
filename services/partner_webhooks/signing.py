"""`Monite-Signature: t=<unix s>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, keyed with the
subscription's whole secret (its `whsec_` prefix included). Pure."""
from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Monite-Signature"
TOLERANCE_S = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, t: int, raw_body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(t).encode() + b"." + raw_body, hashlib.sha256)
    return f"t={t},v1={mac.hexdigest()}"


def verify(secret: str, header: str, raw_body: bytes, now: float,
           tolerance_s: int = TOLERANCE_S) -> bool:
    """What a partner's listener does: split on `,` then `=`, recompute, compare in constant
    time, and refuse a timestamp more than ``tolerance_s`` away from ``now``."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - t) > tolerance_s:
        return False
    expected = signature(secret, t, raw_body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))
