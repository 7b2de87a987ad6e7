"""Prometheus metrics of partner webhooks (the client's default registry, like core.metrics)."""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

DELIVERIES = Counter("ledgersync_partner_webhook_attempts_total",
                     "Partner webhook delivery attempts by outcome (delivered, retrying, failed)",
                     ["outcome"])
ATTEMPT_SECONDS = Histogram("ledgersync_partner_webhook_attempt_seconds",
                            "Time of one POST to a partner's URL", ["outcome"],
                            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
OLDEST_UNDELIVERED = Gauge("ledgersync_partner_webhook_oldest_undelivered_seconds",
                           "Age of the oldest event still pending delivery to an enabled subscription")
