"""Prometheus metrics shared by every process (one registry, the client's default)."""
from __future__ import annotations

from functools import cache

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

HTTP_REQUESTS = Counter("ledgersync_http_requests_total", "HTTP requests served",
                        ["service", "method", "route", "status"])
HTTP_SECONDS = Histogram("ledgersync_http_request_seconds", "HTTP request latency",
                         ["service", "route"])
MESSAGES = Counter("ledgersync_messages_total", "Messages consumed by outcome", ["queue", "outcome"])
MESSAGE_SECONDS = Histogram("ledgersync_message_seconds", "Message handling time", ["queue"])
OUTBOX_PUBLISHED = Counter("ledgersync_outbox_published_total", "Outbox rows relayed", ["exchange"])
OUTBOX_LAG = Gauge("ledgersync_outbox_pending", "Outbox rows not yet relayed (last seen)")
WEBHOOKS = Counter("ledgersync_webhooks_total", "Provider webhooks received by outcome",
                   ["provider", "outcome"])
PROVIDER_CALLS = Counter("ledgersync_provider_calls_total", "Provider API calls", ["operation", "outcome"])
CONNECTION_STATUS = Counter("ledgersync_connection_transitions_total",
                            "Accounting connection status changes", ["to"])
SYNCED_RECORDS = Counter("ledgersync_synced_record_transitions_total",
                         "Synced record status changes", ["object_type", "to"])

CONSUMERS = Gauge("ledgersync_consumers_subscribed", "Consumers of this process subscribed, per queue",
                  ["queue"])
BROKER_RECONNECTS = Counter("ledgersync_broker_reconnects_total",
                            "Broker connections re-opened after one was lost")
DATABASE_RECONNECTS = Counter("ledgersync_database_reconnects_total",
                              "Database connections opened to replace lost ones")
OUTBOX_OLDEST_AGE = Gauge("ledgersync_outbox_oldest_unpublished_age_seconds",
                          "Age of the oldest outbox row not yet relayed (0 when none; last seen)")


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


@cache
def child(metric, *labels: str):
    """``metric.labels(*labels)``, kept: on a hot path (per request, per status change) the
    client's own look-up (label checks under a lock) was a visible share of the CPU."""
    return metric.labels(*labels)
