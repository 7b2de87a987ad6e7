"""Internal commands consumed from ledgersync.commands: one handler per command."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import structlog
from aio_pika.abc import AbstractIncomingMessage

from contracts.commands import Command, parse_command
from contracts.errors import ContractViolation
from services.core.errors import PermanentError

log = structlog.get_logger(__name__)
CommandHandler = Callable[[Command], Awaitable[None]]


def make_command_consumer(handlers: dict[str, CommandHandler]):
    async def consume(message: AbstractIncomingMessage) -> None:
        try:
            command = parse_command(message.body)
        except ContractViolation as exc:
            raise PermanentError(exc.reason) from exc
        handler = handlers.get(command.name)
        if handler is None:
            raise PermanentError(f"no handler for command {command.name!r}")
        ids = {k: str(v) for k, v in command if isinstance(v, (str, UUID))}
        with structlog.contextvars.bound_contextvars(command=command.name, **ids):
            await handler(command)

    return consume
