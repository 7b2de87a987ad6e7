"""The push-worker and the scheduler run on their own and still answer probes and scrapes on
their ops ports (WORKER_PORT, SCHEDULER_PORT): /healthz, /readyz naming their consumers, /metrics;
a webhook-receiver's port serves its processor child's readiness and series too."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

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


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pid: int) -> bool:
    """Exited (a zombie not reaped yet counts: its sockets are closed) or reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


def _receiver_metrics(base: str) -> str:
    response = httpx.get(base + "/metrics", timeout=5)
    assert response.status_code == 200
    families = [f.name for f in text_string_to_metric_families(response.text)]
    assert len(families) == len(set(families)), "one HELP/TYPE per family"
    return response.text


CHILD_UP = 'ledgersync_child_up{child="webhook-processor"}'


def test_a_receivers_metrics_carry_its_processor_childs_series(own_infra):
    """WEBHOOK_PROCESSOR=child (the default): the processor runs in a child process, and the
    receiver's port serves its series too, labelled process="webhook-processor"; with the child
    gone (killed; it is started again) the receiver still answers, with ledgersync_child_up 0."""
    cli(own_infra.env(), "migrate")
    proc, base = _start(own_infra, "webhook-receiver", "webhook_port")
    try:
        body = client.wait_for(lambda: proc.poll() is None and _ready(base), timeout=90,
                               what="the receiver's /readyz (with its processor child's) to answer 200")
        assert body["processor"]["consumers"] == {"ledgersync.webhooks": "subscribed"}
        metrics = _receiver_metrics(base)
        assert 'ledgersync_consumers_subscribed{process="webhook-processor",queue="ledgersync.webhooks"} 1.0' in metrics
        assert 'process="webhook-processor",route="/readyz",service="webhook-processor"' in metrics  # the child's own
        assert 'route="/readyz",service="webhook-receiver",status="200"}' in metrics  # the receiver's own, unlabelled
        assert f"{CHILD_UP} 1.0" in metrics

        (child,) = _children(proc.pid)
        os.kill(child, signal.SIGKILL)
        client.wait_for(lambda: _gone(child), timeout=10, what="the killed child to exit")
        metrics = _receiver_metrics(base)  # the child is started again only after a second
        assert f"{CHILD_UP} 0.0" in metrics and 'process="webhook-processor"' not in metrics
        assert 'service="webhook-receiver"' in metrics
        client.wait_for(lambda: f"{CHILD_UP} 1.0" in _receiver_metrics(base), timeout=90,
                        what="the restarted child's series on the receiver's /metrics")
    finally:
        children = _children(proc.pid) if proc.poll() is None else []
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pid in children:
                if not _gone(pid):
                    os.kill(pid, signal.SIGKILL)
    assert all(_gone(pid) for pid in children), "the receiver stopped its processor child"
