"""The deploy files, checked statically (no docker daemon here): every process they start is a
real `ledgersync` command, is probed for readiness on the port that command serves, and is
scraped there; the webhook-receiver leaves processing to the webhook-processor deployment."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from services.cli import _parser
from services.core.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
_s = Settings()
PORTS = {"api": _s.api_port, "webhook-receiver": _s.webhook_port, "push-worker": _s.worker_port,
         "webhook-processor": _s.worker_port, "scheduler": _s.scheduler_port}
ONE_SHOT = {"migrate"}


def _commands() -> set[str]:
    sub = next(a for a in _parser()._actions if a.dest == "command")
    return set(sub.choices)


def _compose() -> dict[str, dict]:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    return {name: svc for name, svc in services.items() if (svc.get("command") or [None])[0] == "ledgersync"}


def _k8s() -> list[dict]:
    docs = yaml.safe_load_all((DEPLOY / "k8s" / "ledgersync.yaml").read_text())
    return [d for d in docs if d and d.get("kind") == "Deployment"]


def _port_in(text: str) -> int:
    return int(re.search(r":(\d+)/readyz", text).group(1))


def test_every_compose_process_is_a_command_probed_and_scraped_on_its_port():
    scraped = {(t["names"][0], t["port"]) for job in yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
               ["scrape_configs"] for t in job["dns_sd_configs"]}
    started = set()
    for name, svc in _compose().items():
        command = svc["command"][1]
        assert command in _commands(), f"{name}: `ledgersync {command}` is no command"
        if command in ONE_SHOT:
            continue
        started.add(command)
        assert _port_in(" ".join(svc["healthcheck"]["test"])) == PORTS[command], name
        assert (name, PORTS[command]) in scraped, f"{name} is not scraped on {PORTS[command]}"
    assert started == set(PORTS)


def test_every_k8s_process_is_a_command_probed_and_scraped_on_its_port():
    started = set()
    for deployment in _k8s():
        pod = deployment["spec"]["template"]
        [container] = pod["spec"]["containers"]
        command = container["command"][1]
        assert command in _commands(), deployment["metadata"]["name"]
        if command in ONE_SHOT:
            continue
        started.add(command)
        port = PORTS[command]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port}
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port)
    assert started == set(PORTS)


def test_the_receivers_leave_processing_to_the_processor_deployment():
    compose = _compose()["webhook-receiver"]["environment"]
    assert compose["LEDGERSYNC_WEBHOOK_PROCESSOR"] == "none"
    [receiver] = [d for d in _k8s() if d["metadata"]["name"] == "ledgersync-webhook-receiver"]
    env = {e["name"]: e["value"] for e in receiver["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["LEDGERSYNC_WEBHOOK_PROCESSOR"] == "none"
    assert Settings(webhook_processor=env["LEDGERSYNC_WEBHOOK_PROCESSOR"]).webhook_processor == "none"
