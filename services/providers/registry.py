"""The adapter for the configured provider (``LEDGERSYNC_PROVIDER``): the one place that knows
which adapters exist."""
from __future__ import annotations

import aiohttp

from services.core.settings import Settings
from services.providers.base import ProviderAdapter
from services.providers.codat import CodatAdapter
from services.providers.http_exchange import Observer, Slots
from services.providers.railz import RailzAdapter


def build_adapter(settings: Settings, session: aiohttp.ClientSession, *,
                  observer: Observer | None = None, slots: Slots | None = None) -> ProviderAdapter:
    """The adapter for ``settings.provider`` on the process's shared ``session``; ``observer``
    (tests) sees every request and answer; ``slots`` caps concurrent calls per company (across
    replicas when kept in PostgreSQL; in this process's memory by default)."""
    if settings.provider == "codat":
        return CodatAdapter(settings, session, observer=observer, slots=slots)
    if settings.provider == "railz":
        return RailzAdapter(settings, session, observer=observer, slots=slots)
    raise ValueError(f"unknown provider {settings.provider!r}")
