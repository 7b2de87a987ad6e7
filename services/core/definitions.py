"""RabbitMQ definitions (exchanges, quorum queues, dead-letter and delayed-retry queues) for
`rabbitmqctl import_definitions`, generated from the same topology the code declares.

    python -m services.core.definitions > deploy/rabbitmq-definitions.json
"""
from __future__ import annotations

import json

from services.core import topology

VHOST = "ledgersync"


def _queue(name: str, arguments: dict) -> dict:
    return {"name": name, "vhost": VHOST, "durable": True, "auto_delete": False, "arguments": arguments}


def definitions() -> dict:
    exchanges = [{"name": n, "vhost": VHOST, "type": t, "durable": True, "auto_delete": False,
                  "internal": False, "arguments": {}}
                 for n, t in ((topology.DOMAIN_EXCHANGE, "topic"), (topology.OWN_EXCHANGE, "topic"),
                              (topology.DEAD_LETTER_EXCHANGE, "direct"))]
    queues, bindings = [], []
    for spec in topology.QUEUES:
        dlq = topology.dead_letter_queue(spec.name)
        queues.append(_queue(spec.name, topology.work_queue_arguments(spec.name)))
        queues.append(_queue(dlq, {"x-queue-type": "quorum"}))
        bindings.append({"source": topology.DEAD_LETTER_EXCHANGE, "vhost": VHOST, "destination": dlq,
                         "destination_type": "queue", "routing_key": spec.name, "arguments": {}})
        for tier, delay in enumerate(topology.RETRY_DELAYS_S):
            queues.append(_queue(topology.retry_queue(spec.name, tier),
                                 topology.retry_queue_arguments(spec.name, delay)))
        bindings += [{"source": exchange, "vhost": VHOST, "destination": spec.name,
                      "destination_type": "queue", "routing_key": key, "arguments": {}}
                     for exchange, key in spec.bindings]
    return {"vhosts": [{"name": VHOST}], "exchanges": exchanges, "queues": queues, "bindings": bindings}


def render() -> str:
    return json.dumps(definitions(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    print(render(), end="")
