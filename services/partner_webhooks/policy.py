"""Delivery rules as pure functions: the retry schedule and which targets may be called."""
from __future__ import annotations

import ipaddress
import random
from urllib.parse import urlsplit


def backoff_s(attempt: int, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Delay after failed ``attempt`` (1-based): exponential, capped, jittered into [½, 1] of it."""
    delay = min(cap_s, base_s * 2 ** (attempt - 1))
    return delay * (0.5 + 0.5 * (rng or random).random())


def address_allowed(address: str, allow_private: bool) -> bool:
    """False for private, loopback, link-local, multicast, reserved and unspecified addresses
    (unless ``allow_private``): partners choose the URLs, so they must not reach our network."""
    if allow_private:
        return True
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def url_problem(url: str, allow_private: bool) -> str | None:
    """Why ``url`` cannot be a subscription's target, or None. Host names are checked again
    when each delivery connects (the resolved addresses), so DNS cannot sneak past this."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an absolute http(s) URL"
    if parts.scheme != "https" and not allow_private:
        return "must use HTTPS"
    host = parts.hostname.rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return None if allow_private else "must not point at this machine (localhost)"
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if not address_allowed(host, allow_private):
        return "must not point at a private, loopback or link-local address"
    return None
