"""RabbitMQ names and arguments, derived in one place (pure; no I/O)."""
from __future__ import annotations

from dataclasses import dataclass, field

DOMAIN_EXCHANGE = "domain.events"        # upstream CloudEvents, routing key = type
OWN_EXCHANGE = "ledgersync.events"       # what ledgersync publishes, routing key = type
DEAD_LETTER_EXCHANGE = "ledgersync.dlx"  # direct; routing key = the queue a message died in
DELIVERY_LIMIT = 20                      # broker-side guard against poison loops
RETRY_DELAYS_S = (1, 5, 30, 120, 600)    # one delayed-retry queue per tier


@dataclass(frozen=True)
class QueueSpec:
    name: str
    bindings: tuple[tuple[str, str], ...] = field(default=())


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dlq"


def retry_queue(queue: str, tier: int) -> str:
    return f"{queue}.retry.{tier}"


def work_queue_arguments(queue: str) -> dict:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        "x-delivery-limit": DELIVERY_LIMIT,
    }


def retry_queue_arguments(queue: str, delay_s: float) -> dict:
    """A TTL queue whose expired messages go back to ``queue`` through the default exchange."""
    return {
        "x-queue-type": "quorum",
        "x-message-ttl": int(delay_s * 1000),
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


DOMAIN_FAMILIES = ("entity", "counterpart", "product", "receivable", "credit_note",
                   "payment_record", "payable")

PUSH_WORKER = QueueSpec("ledgersync.push-worker",
                        tuple((DOMAIN_EXCHANGE, f"{family}.*") for family in DOMAIN_FAMILIES))
WEBHOOKS = QueueSpec("ledgersync.webhooks")   # stored provider webhooks, by the receiver
COMMANDS = QueueSpec("ledgersync.commands")   # internal commands: sync a connection, push a record
# Partner webhooks have no queue: a status change writes its deliveries in its own transaction.
QUEUES = (PUSH_WORKER, WEBHOOKS, COMMANDS)
