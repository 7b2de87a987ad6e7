"""The one door to partners' URLs, against a real aiohttp listener: private targets refused
unless allowed (also when a name resolves to one), redirects not followed, a hung listener cut."""
from __future__ import annotations

import socket

import pytest

from services.partner_webhooks import transport
from services.partner_webhooks.policy import address_allowed
from tests.support.hook_receiver import Receiver


@pytest.fixture(scope="module")
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


async def _post(url: str, allow_private: bool, timeout_s: float = 5.0) -> transport.Answer:
    async with transport.session(allow_private, 4) as http:
        return await transport.post(http, url, b'{"id":"x"}', {}, timeout_s, allow_private)


async def test_loopback_is_refused_unless_allowed(receiver):
    refused = await _post(receiver.url("guarded"), allow_private=False)
    assert refused.status is None and refused.text.startswith("refused")
    assert receiver.attempts("guarded") == []
    allowed = await _post(receiver.url("guarded"), allow_private=True)
    assert allowed.status == 401  # it arrived (unsigned here, so the listener says no)
    assert len(receiver.attempts("guarded")) == 1


async def test_a_name_resolving_to_loopback_is_refused_when_connecting(receiver):
    name = socket.gethostname()  # a name, not "localhost": it passes the URL check
    addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    assert not any(address_allowed(a, False) for a in addresses), f"{name} resolves to {addresses}"
    url = f"https://{name}:{receiver.port}/named"
    assert transport.url_problem(url, False) is None
    answer = await _post(url, allow_private=False)
    assert answer.status is None and "private, loopback or link-local" in answer.text
    with pytest.raises(transport.TargetRefused):
        await transport.GuardedResolver(False).resolve("localhost", 80)
    assert await transport.GuardedResolver(True).resolve("localhost", 80)


async def test_redirects_are_not_followed(receiver):
    receiver.modes["moving"] = "redirect"
    answer = await _post(receiver.url("moving"), allow_private=True)
    assert answer.status == 302 and not answer.ok and "not followed" in answer.text
    assert [h.endpoint for h in receiver.hits if h.endpoint.startswith("moving")] == ["moving"]


async def test_a_listener_that_never_answers_is_cut_off(receiver):
    receiver.modes["stuck"] = "hang"
    answer = await _post(receiver.url("stuck"), allow_private=True, timeout_s=0.3)
    assert answer.status is None and answer.text.startswith("timed out")
