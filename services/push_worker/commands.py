"""Internal commands consumed from ledgersync.commands: one handler per command name."""
from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import structlog
from aio_pika.abc import AbstractIncomingMessage

from services.core.errors import PermanentError

log = structlog.get_logger(__name__)
CommandHandler = Callable[[dict], Awaitable[None]]


def make_command_consumer(handlers: dict[str, CommandHandler]):
    async def consume(message: AbstractIncomingMessage) -> None:
        try:
            body = json.loads(message.body)
            name, args = body["command"], body["args"]
        except (ValueError, KeyError, TypeError) as exc:
            raise PermanentError(f"malformed command: {exc}") from exc
        handler = handlers.get(name)
        if handler is None:
            raise PermanentError(f"unknown command {name!r}")
        with structlog.contextvars.bound_contextvars(command=name, **{k: v for k, v in args.items()
                                                                     if isinstance(v, str)}):
            await handler(args)

    return consume
