"""The push-worker and the scheduler run on their own and still answer probes and scrapes on
their ops ports (WORKER_PORT, SCHEDULER_PORT): /healthz, /readyz naming their consumers, /metrics."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.support import client
from tests.support.infra import RunInfra, free_port
from tests.support.system import LOG_DIR, cli


@pytest.fixture(scope="module")
def own_infra():
    infra = RunInfra()
    infra.create()
    try:
        yield infra
    finally:
        infra.destroy()


def _start(infra: RunInfra, command: str, port_setting: str, **settings):
    port = free_port()
    env = {**os.environ, **infra.env(**{port_setting: port}, **settings), "LEDGERSYNC_LOG_FORMAT": "json"}
    LOG_DIR.mkdir(exist_ok=True)
    with (LOG_DIR / f"{command}-{infra.vhost}.log").open("w") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, "-m", "services.cli", command], env=env, stdout=log, stderr=log)
    return proc, f"http://127.0.0.1:{port}"


def _ready(base: str):
    try:
        response = httpx.get(base + "/readyz", timeout=2)
    except httpx.HTTPError:
        return None
    return response.status_code == 200 and response.json()


@pytest.mark.parametrize(("command", "port_setting", "consumers"), [
    ("push-worker", "worker_port", {"ledgersync.push-worker": "subscribed", "ledgersync.commands": "subscribed"}),
    ("scheduler", "scheduler_port", {}),
    ("webhook-processor", "worker_port", {"ledgersync.webhooks": "subscribed"}),
])
def test_a_process_without_an_api_serves_probes_and_metrics_on_its_ops_port(
        own_infra, command, port_setting, consumers):
    cli(own_infra.env(), "migrate")
    proc, base = _start(own_infra, command, port_setting)
    try:
        body = client.wait_for(lambda: proc.poll() is None and _ready(base), timeout=60,
                               what=f"{command}'s /readyz to answer 200")
        assert body == {"database": "ok", "broker": "ok", "consumers": consumers}
        assert httpx.get(base + "/healthz").json() == {"status": "ok"}
        metrics = httpx.get(base + "/metrics").text
        for queue in consumers:
            assert f'ledgersync_consumers_subscribed{{queue="{queue}"}} 1.0' in metrics
        assert "ledgersync_outbox_oldest_unpublished_age_seconds" in metrics
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0


def test_a_receiver_whose_processing_runs_elsewhere_is_ready_without_a_processor(own_infra):
    """WEBHOOK_PROCESSOR=none (the deploy files): the receiver only verifies, stores and
    answers; `ledgersync webhook-processor` processes of their own consume the queue."""
    cli(own_infra.env(), "migrate")
    proc, base = _start(own_infra, "webhook-receiver", "webhook_port", webhook_processor="none")
    try:
        body = client.wait_for(lambda: proc.poll() is None and _ready(base), timeout=60,
                               what="the receiver's /readyz to answer 200")
        assert body == {"database": "ok", "broker": "ok", "consumers": {}}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
