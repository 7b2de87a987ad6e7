"""The AsyncAPI 2.6 document: domain events in, ledgersync's events out, provider webhooks in,
and ledgersync's internal queue messages (commands, stored-webhook references)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from contracts import __version__
from contracts.commands import COMMANDS, WebhookReference
from contracts.events import DOMAIN_EVENT_TYPES, OUTBOUND_EVENT_TYPES, envelope_model
from contracts.jsonschema import components
from contracts.webhooks import (
    CONNECTION_EVENT_TYPES,
    READ_EVENT_TYPES,
    CodatWebhook,
    ConnectionEventPayload,
    ReadCompletedPayload,
    WriteEventPayload,
)

WEBHOOK_PATH = "/webhooks/codat"
WEBHOOK_MESSAGES: dict[str, tuple[type[BaseModel], str]] = {
    "codat.connection": (ConnectionEventPayload, "eventType: " + ", ".join(CONNECTION_EVENT_TYPES)),
    "codat.write": (WriteEventPayload, "eventType: {dataType}.write.successful | "
                                       "{dataType}.write.unsuccessful"),
    "codat.read_completed": (ReadCompletedPayload, "eventType: " + ", ".join(READ_EVENT_TYPES)),
}
_SIGNATURE_HEADERS = {"type": "object", "required": ["webhook-id", "webhook-timestamp",
                                                     "webhook-signature"], "properties": {
    "webhook-id": {"type": "string", "description": "Delivery id; the inbox dedupes on it."},
    "webhook-timestamp": {"type": "string", "description": "Unix seconds; 5-minute tolerance."},
    "webhook-signature": {"type": "string", "description": "`v1,<base64 HMAC-SHA256 of "
                          "id.timestamp.body>` (Standard Webhooks)."}}}


def build_asyncapi() -> dict[str, Any]:
    """The AsyncAPI 2.6 document, schemas from the contracts models."""
    envelopes = {t: envelope_model(t, m) for t, m in {**DOMAIN_EVENT_TYPES,
                                                      **OUTBOUND_EVENT_TYPES}.items()}
    webhooks = {name: CodatWebhook[model] for name, (model, _) in WEBHOOK_MESSAGES.items()}
    internal = [*COMMANDS.values(), WebhookReference]
    refs, schemas = components([(model, _mode(t)) for t, model in envelopes.items()]
                               + [(model, "validation") for model in webhooks.values()]
                               + [(model, "validation") for model in internal])
    messages = {t: _event_message(t, refs[(model, _mode(t))]) for t, model in envelopes.items()}
    for name, model in webhooks.items():
        messages[name] = {"name": name, "title": name, "summary": WEBHOOK_MESSAGES[name][1],
                          "contentType": "application/json", "headers": _SIGNATURE_HEADERS,
                          "payload": refs[(model, "validation")]}
    for name, model in COMMANDS.items():
        messages[f"command.{name}"] = _command_message(name, model, refs[(model, "validation")])
    messages["webhook_reference"] = {
        "name": "webhook_reference", "title": "webhook_reference", "contentType": "application/json",
        "summary": (WebhookReference.__doc__ or "").strip(), "payload": refs[(WebhookReference, "validation")]}
    return {
        "asyncapi": "2.6.0",
        "id": "urn:ledgersync",
        "info": {"title": "ledgersync events", "version": __version__,
                 "description": "CloudEvents 1.0 (structured JSON) on RabbitMQ topic exchanges, "
                                "routing key = `type`; and the provider's signed webhooks."},
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {"url": "amqp://127.0.0.1:5672/", "protocol": "amqp",
                         "protocolVersion": "0.9.1"},
            "webhook-receiver": {"url": "http://127.0.0.1:8081", "protocol": "http"}},
        "channels": {
            "domain.events": _exchange_channel(
                "domain.events", "publish", sorted(DOMAIN_EVENT_TYPES),
                "Upstream services publish domain events; ledgersync consumes them."),
            "ledgersync.events": _exchange_channel(
                "ledgersync.events", "subscribe", sorted(OUTBOUND_EVENT_TYPES),
                "ledgersync publishes its own events (through its outbox)."),
            WEBHOOK_PATH: {
                "description": "Codat's webhooks (via Svix), verified then queued.",
                "servers": ["webhook-receiver"],
                "bindings": {"http": {"type": "request", "method": "POST"}},
                "publish": {"operationId": "receiveCodatWebhook", "message": {"oneOf": [
                    {"$ref": f"#/components/messages/{n}"} for n in WEBHOOK_MESSAGES]}}},
            "ledgersync.commands": _queue_channel(
                "ledgersync.commands", [f"command.{name}" for name in sorted(COMMANDS)],
                "Internal commands, sent through the outbox; one handler each (push-worker)."),
            "ledgersync.webhooks": _queue_channel(
                "ledgersync.webhooks", ["webhook_reference"],
                "Stored provider webhooks to apply (webhook-receiver → its processor).")},
        "components": {"schemas": schemas, "messages": messages},
    }


def _mode(event_type: str) -> str:
    return "serialization" if event_type in OUTBOUND_EVENT_TYPES else "validation"


def _event_message(event_type: str, ref: dict[str, Any]) -> dict[str, Any]:
    data_model = DOMAIN_EVENT_TYPES.get(event_type) or OUTBOUND_EVENT_TYPES[event_type]
    return {"name": event_type, "title": event_type,
            "summary": f"`{event_type}` CloudEvent; `data` is {data_model.__name__}.",
            "contentType": "application/cloudevents+json",
            "bindings": {"amqp": {"messageType": event_type, "bindingVersion": "0.2.0"}},
            "payload": ref}


def _command_message(name: str, model: type[BaseModel], ref: dict[str, Any]) -> dict[str, Any]:
    return {"name": f"command.{name}", "title": name, "contentType": "application/json",
            "summary": (model.__doc__ or "").strip(),
            "payload": {"type": "object", "required": ["id", "command", "args"],
                        "additionalProperties": False, "properties": {
                            "id": {"type": "string", "description": "Message id (idempotency)."},
                            "command": {"const": name}, "args": ref}}}


def _queue_channel(queue: str, messages: list[str], description: str) -> dict[str, Any]:
    return {
        "description": description, "servers": ["rabbitmq"],
        "bindings": {"amqp": {"is": "queue", "bindingVersion": "0.2.0", "queue": {
            "name": queue, "durable": True, "exclusive": False, "autoDelete": False, "vhost": "/"}}},
        "publish": {"operationId": "consume" + "".join(w.capitalize() for w in queue.split(".")),
                    "message": {"oneOf": [{"$ref": f"#/components/messages/{m}"} for m in messages]}},
    }


def _exchange_channel(exchange: str, operation: str, types: list[str], description: str):
    return {
        "description": description + " Routing key = event type.",
        "servers": ["rabbitmq"],
        "bindings": {"amqp": {"is": "routingKey", "bindingVersion": "0.2.0", "exchange": {
            "name": exchange, "type": "topic", "durable": True, "autoDelete": False,
            "vhost": "/"}}},
        operation: {"operationId": ("consume" if operation == "publish" else "publish")
                    + "".join(w.capitalize() for w in exchange.split(".")),
                    "message": {"oneOf": [{"$ref": f"#/components/messages/{t}"} for t in types]}},
    }
