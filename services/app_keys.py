"""What the two HTTP apps (api, webhook_receiver) hand their views: the three dependencies views
use, under one ``web.AppKey`` shared by both apps."""
from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from aiohttp import web

from services.core.settings import Settings
from services.providers.base import ProviderAdapter


@dataclass(frozen=True)
class AppDeps:
    settings: Settings
    pool: asyncpg.Pool
    adapter: ProviderAdapter


DEPS = web.AppKey("deps", AppDeps)
