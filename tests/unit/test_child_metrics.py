"""The webhook-receiver's /metrics carries its processor child's series: the child's exposition
merged with the receiver's own into one valid text, the child's samples labelled
process="webhook-processor", and ledgersync_child_up saying whether the child answered."""
from __future__ import annotations

import asyncio
import time
from functools import partial

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from services.core import metrics_merge
from services.core.child import ChildProcess, free_port
from services.core.http import base_app

CHILD = "webhook-processor"


def _registry(consumed: int, seconds: float, subscribed: int) -> CollectorRegistry:
    """The same metric names in either process, other values."""
    registry = CollectorRegistry()
    Counter("ledgersync_messages_total", "Messages consumed by outcome", ["queue", "outcome"],
            registry=registry).labels("ledgersync.webhooks", "ok").inc(consumed)
    Histogram("ledgersync_message_seconds", "Message handling time", ["queue"],
              registry=registry).labels("ledgersync.webhooks").observe(seconds)
    Gauge("ledgersync_consumers_subscribed", "Consumers subscribed", ["queue"],
          registry=registry).labels("ledgersync.webhooks").set(subscribed)
    Counter("ledgersync_broker_reconnects_total", "Broker connections re-opened", registry=registry).inc(consumed)
    return registry


def _text(registry: CollectorRegistry) -> str:
    return generate_latest(registry).decode()


def _samples(text: str) -> set[tuple[str, frozenset, float]]:
    return {(s.name, frozenset(s.labels.items()), s.value)
            for family in text_string_to_metric_families(text) for s in family.samples}


def _names_once(text: str) -> list[str]:
    """The merged text's family names, each asserted to have one HELP and one TYPE line."""
    names = [f.name for f in text_string_to_metric_families(text)]
    assert len(names) == len(set(names)), names
    for kind in ("# HELP ", "# TYPE "):
        declared = [line.split()[2] for line in text.splitlines() if line.startswith(kind)]
        assert len(declared) == len(set(declared)), declared
    return names


def _up(text: str) -> float:
    (value,) = [v for name, labels, v in _samples(text)
                if name == "ledgersync_child_up" and labels == frozenset({("child", CHILD)})]
    return value


def test_the_childs_families_are_merged_with_the_parents_own_each_once_the_childs_labelled():
    parent, child = _registry(2, 0.003, 0), _registry(7, 0.2, 1)
    body, content_type = metrics_merge.render(CHILD, _text(child), own=parent)
    text = body.decode()
    assert content_type == CONTENT_TYPE_LATEST  # what the receiver served before

    names = _names_once(text)
    assert {"ledgersync_messages", "ledgersync_messages_created", "ledgersync_message_seconds",
            "ledgersync_message_seconds_created", "ledgersync_consumers_subscribed",
            "ledgersync_broker_reconnects", "ledgersync_child_up"} <= set(names)
    types = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert types["ledgersync_messages"] == "counter" and types["ledgersync_message_seconds"] == "histogram"

    merged = _samples(text)
    own = _samples(_text(parent))
    theirs = {(name, labels | {("process", CHILD)}, value) for name, labels, value in _samples(_text(child))}
    assert own <= merged, "the parent's samples unchanged"
    assert theirs <= merged, "the child's samples, values intact, labelled process=webhook-processor"
    assert merged - own - theirs == {("ledgersync_child_up", frozenset({("child", CHILD)}), 1.0)}
    assert 'ledgersync_consumers_subscribed{process="webhook-processor",queue="ledgersync.webhooks"} 1.0' in text
    assert 'ledgersync_messages_total{outcome="ok",process="webhook-processor",queue="ledgersync.webhooks"} 7.0' in text
    assert 'ledgersync_message_seconds_count{process="webhook-processor",queue="ledgersync.webhooks"} 1.0' in text
    assert 'ledgersync_message_seconds_sum{process="webhook-processor",queue="ledgersync.webhooks"} 0.2' in text
    created = {labels for name, labels, _ in merged if name == "ledgersync_messages_created"}
    assert created == {frozenset({("queue", "ledgersync.webhooks"), ("outcome", "ok")}),
                       frozenset({("queue", "ledgersync.webhooks"), ("outcome", "ok"), ("process", CHILD)})}


@pytest.mark.parametrize("child_text", [
    None, "", "\n", "<html><body>502 Bad Gateway</body></html>",
    _text(_registry(7, 0.2, 1))[:300] + '\nledgersync_messages_total{queue="ledgersync.web',
], ids=["no answer", "empty", "blank", "html", "cut short"])
def test_without_a_parsable_child_text_the_parents_metrics_still_come_with_child_up_0(child_text):
    parent = _registry(2, 0.003, 0)
    text = metrics_merge.render(CHILD, child_text, own=parent)[0].decode()
    _names_once(text)
    assert _samples(text) - _samples(_text(parent)) == {("ledgersync_child_up", frozenset({("child", CHILD)}), 0.0)}
    assert _up(text) == 0


def test_a_child_family_of_another_type_than_the_parents_is_left_out_not_doubled():
    parent = _registry(2, 0.003, 0)
    child = CollectorRegistry()
    Gauge("ledgersync_messages", "now a gauge", registry=child).set(5)  # the parent's is a counter
    Gauge("ledgersync_messages_created", "a lone gauge of the parent's created block's name", registry=child).set(1)
    Gauge("ledgersync_something_new", "only the child has it", registry=child).set(3)
    text = metrics_merge.render(CHILD, _text(child), own=parent)[0].decode()
    _names_once(text)
    assert _samples(text) - _samples(_text(parent)) == {
        ("ledgersync_something_new", frozenset({("process", CHILD)}), 3.0),
        ("ledgersync_child_up", frozenset({("child", CHILD)}), 1.0)}


async def _serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def _ready() -> dict:
    return {"database": "ok"}


async def test_the_receivers_metrics_view_serves_the_childs_series_and_answers_when_the_child_does_not():
    """A real /metrics of a base_app over HTTP: a child answering, gone, then hanging past the 1 s."""
    child = ChildProcess(CHILD, [])  # not started: a stand-in serves its ops port
    hanging, released = asyncio.Event(), asyncio.Event()

    async def child_metrics(_request: web.Request) -> web.Response:
        if hanging.is_set():
            await asyncio.wait_for(released.wait(), 10)
        return web.Response(body=generate_latest(_registry(7, 0.2, 1)), content_type="text/plain")

    child_app = web.Application()
    child_app.router.add_get("/metrics", child_metrics)
    port = free_port()
    async with aiohttp.ClientSession() as http:
        parent_runner = await _serve(base_app("webhook-receiver", _ready,
                                              metrics_source=partial(child.metrics, http)), port)
        child_runner = await _serve(child_app, child.ops_port)
        try:
            async def scrape() -> str:
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    assert response.status == 200
                    return await response.text()

            text = await scrape()
            _names_once(text)
            assert 'ledgersync_consumers_subscribed{process="webhook-processor",queue="ledgersync.webhooks"} 1.0' in text
            assert "ledgersync_http_requests_total" in text  # the receiver's own registry
            assert _up(text) == 1

            hanging.set()
            started = time.monotonic()
            text = await scrape()
            assert time.monotonic() - started < 3
            assert _up(text) == 0 and 'process="webhook-processor"' not in text

            released.set()
            await child_runner.cleanup()
            text = await scrape()
            assert _up(text) == 0 and "ledgersync_http_requests_total" in text
        finally:
            released.set()
            await child_runner.cleanup()
            await parent_runner.cleanup()
