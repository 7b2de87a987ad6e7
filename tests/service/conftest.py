"""Service tests: the pipeline in-process (``tests/support/pipeline.py``) on a migrated database of
each test's own, with the port double as the provider; ``shop`` is ``tests/support/shop.py``'s."""
from __future__ import annotations

import pytest

from services.core.settings import Settings
from tests.support.inproc import db_dsn, pool  # noqa: F401 - fixtures
from tests.support.pipeline import Pipeline
from tests.support.port_double import PortDouble
from tests.support.shop import Shop, connected_shop, seeded


@pytest.fixture
def double() -> PortDouble:
    return PortDouble(datasets=seeded())


@pytest.fixture
async def pipeline(pool, double):  # noqa: F811 - the fixture
    async with Pipeline(pool, double, Settings(provider="codat")) as running:
        yield running


@pytest.fixture
async def shop(pipeline, pool, double) -> Shop:  # noqa: F811
    return await connected_shop(pipeline, pool, double)
