"""Fixtures of the integration tests."""
from __future__ import annotations

import pytest_asyncio

from services.sandbox_provider.testing import run_sandbox


@pytest_asyncio.fixture
async def sandbox():
    """A fresh sandbox provider on a free port, with a signature-checking webhook receiver."""
    async with run_sandbox() as running:
        yield running
