"""What partner webhooks add to a process: the fan-out consumer and the delivery worker.
In production both run in `ledgersync push-worker` (stateless, any number of replicas: the
queue is shared and deliveries are leased with SKIP LOCKED); `ledgersync run` includes them."""
from __future__ import annotations

from collections.abc import Callable

from services.core.bus import Handler
from services.core.lifecycle import Component, ConsumerComponent, TaskComponent
from services.core.topology import PARTNER_WEBHOOKS
from services.partner_webhooks.fanout import make_fanout_consumer
from services.partner_webhooks.sender import DeliveryWorker, SenderSettings


def components(pool, subscribe: Callable[[str, Handler], object], settings) -> list[Component]:
    """``subscribe(queue, handler)``: a supervised consumer (``Resources.consumer``)."""
    consumer = subscribe(PARTNER_WEBHOOKS.name, make_fanout_consumer(pool, settings.partner_webhook_retry_for))
    worker = DeliveryWorker(pool, SenderSettings.of(settings))
    return [ConsumerComponent("partner-webhooks", consumer),
            TaskComponent("partner-webhook-sender", worker.run)]
