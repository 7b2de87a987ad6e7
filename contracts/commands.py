"""ledgersync's internal queue messages: one model per message, one parser at the edge.

Commands are imperatives with one handler each, sent through the outbox to the queue
``ledgersync.commands`` as ``{"id", "command", "args"}``; the webhook processor's queue
``ledgersync.webhooks`` carries a reference to a stored delivery. Both are written only by
ledgersync itself, so a message that does not parse is a bug: it is dead-lettered with the reason.
"""
from __future__ import annotations

import json
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from contracts.errors import ContractViolation


class Command(BaseModel):
    """One command's arguments; ``name`` is its routing name on the commands queue."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: ClassVar[str]


class SyncConnection(Command):
    """Ask the provider to read every dataset of the connection's company afresh."""
    name: ClassVar[str] = "sync_connection"
    connection_id: UUID
    sync_run_id: UUID


class PullConnection(Command):
    """Pull the datasets the provider has read (all pulled ones when none are named), then match."""
    name: ClassVar[str] = "pull_connection"
    connection_id: UUID
    sync_run_id: UUID | None = None  # None: a read the provider finished on its own
    data_types: list[str] = Field(default_factory=list)
    failed: dict[str, str] = Field(default_factory=dict)  # dataset → why the provider could not read it

    @field_validator("sync_run_id", mode="before")
    @classmethod
    def _no_run(cls, value: Any) -> Any:
        return None if value == "" else value  # "" was sent for "no run" before this model


class PushRecord(Command):
    """Push a synced record's current logical push (``generation``); a stale one does nothing."""
    name: ClassVar[str] = "push_record"
    record_id: UUID
    generation: int


class SettlePush(Command):
    """Read a write's outcome at the provider and settle its attempt."""
    name: ClassVar[str] = "settle_push"
    attempt_id: UUID


class ReconcilePush(Command):
    """A write of unknown outcome: look the document up before anything is written again."""
    name: ClassVar[str] = "reconcile_push"
    attempt_id: UUID


COMMANDS: dict[str, type[Command]] = {model.name: model for model in (
    SyncConnection, PullConnection, PushRecord, SettlePush, ReconcilePush)}


class CommandMessage(BaseModel):
    """The body on ``ledgersync.commands``."""
    model_config = ConfigDict(extra="forbid")
    id: str
    command: str
    args: dict[str, Any]


class WebhookReference(BaseModel):
    """The body on ``ledgersync.webhooks``: which stored delivery to apply."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    provider: str
    webhook_id: str


M = TypeVar("M", bound=BaseModel)


def parse_message(model: type[M], raw: bytes | str | dict[str, Any], what: str) -> M:
    """The one edge parser of internal messages; ``ContractViolation`` naming what is wrong."""
    try:
        return model.model_validate(json.loads(raw) if isinstance(raw, (bytes, str)) else raw)
    except ValueError as exc:
        if isinstance(exc, ValidationError):
            raise ContractViolation.from_validation_error(f"malformed {what}", exc) from exc
        raise ContractViolation(f"malformed {what}: not JSON ({exc})") from exc


def parse_command(raw: bytes | str) -> Command:
    """A command off the commands queue, its arguments validated by its model."""
    message = parse_message(CommandMessage, raw, "command")
    model = COMMANDS.get(message.command)
    if model is None:
        raise ContractViolation(f"unknown command {message.command!r} (known: {', '.join(sorted(COMMANDS))})")
    return parse_message(model, message.args, f"{message.command} command")


def command_message(command: Command, message_id: str) -> dict[str, Any]:
    """The JSON-ready body that carries ``command``."""
    return {"id": message_id, "command": command.name, "args": command.model_dump(mode="json")}
