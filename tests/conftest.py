"""Fixtures: every run gets its own database and RabbitMQ vhost; `system` is a running
`ledgersync run` (api, webhook-receiver, push-worker, scheduler, sandbox) on free ports, once
per provider (``codat``, ``railz``)."""
from __future__ import annotations

import asyncio

import pytest

from tests.support import client, flows
from tests.support.infra import RunInfra
from tests.support.system import RunningSystem

PROVIDERS = ("codat", "railz")
# pytest-asyncio (0.26) asks for the main thread's event loop before it sets up its session loop,
# which creates one, puts it back afterwards and never closes it; once an asyncio.run() (syncrun)
# clears the thread's loop, it is garbage-collected unclosed, a ResourceWarning raised inside
# whichever test runs then (filterwarnings = error). The loop it finds is this one, closed at the end.
_MAIN_THREAD_LOOP = asyncio.new_event_loop()
asyncio.set_event_loop(_MAIN_THREAD_LOOP)


def pytest_unconfigure(config):
    _MAIN_THREAD_LOOP.close()
    client.close()


@pytest.fixture(scope="session")
def infra():
    created = RunInfra()
    created.create()
    yield created
    created.destroy()


@pytest.fixture(scope="session", params=PROVIDERS)
def provider(request) -> str:
    """Every end-to-end test runs once per provider adapter, against the sandbox's surface of it."""
    return request.param


@pytest.fixture(scope="session")
def system(provider):
    """A running ledgersync for ``provider``, with a database and vhost of its own."""
    own = RunInfra()
    own.create()
    running = RunningSystem(own)
    try:
        running.start(LEDGERSYNC_PROVIDER=provider)
        yield running
    finally:
        running.stop()
        own.destroy()


@pytest.fixture(scope="session")
def partner(system) -> dict:
    return system.create_partner("Acme Platform")


@pytest.fixture(scope="session")
def other_partner(system) -> dict:
    return system.create_partner("Other Platform")


@pytest.fixture(scope="session")
def access_token(system, partner) -> str:
    return client.token(system.api_url, partner)


@pytest.fixture
def new_entity(system, partner, access_token):
    """A factory: registers an entity of `partner` through entity.created and waits for it."""
    return lambda name="Bäckerei Müller GmbH": flows.register_entity(system, partner, access_token, name)[0]
