"""What partner webhooks add to a process: the delivery worker. Events and their deliveries are
written by the status change itself (``fanout``), so no queue feeds it. In production it runs in
`ledgersync push-worker` (stateless, any number of replicas: deliveries are leased with SKIP
LOCKED); `ledgersync run` includes it."""
from __future__ import annotations

from services.core.lifecycle import Component, TaskComponent
from services.partner_webhooks.sender import DeliveryWorker, SenderSettings


def components(pool, settings) -> list[Component]:
    return [TaskComponent("partner-webhook-sender", DeliveryWorker(pool, SenderSettings.of(settings)).run)]
