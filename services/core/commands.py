"""Internal commands (imperatives with one handler), sent through the outbox."""
from __future__ import annotations

import uuid

from contracts.commands import Command, command_message
from services.core.outbox import enqueue
from services.core.topology import COMMANDS


async def send_command(conn, command: Command, *, key: str | None = None) -> None:
    """Queue ``command`` for the command consumer once the caller's transaction commits."""
    message_id = key or str(uuid.uuid4())
    await enqueue(conn, "", COMMANDS.name, command_message(command, message_id), message_id=message_id)
