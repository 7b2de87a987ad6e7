"""Internal commands (imperatives with one handler), sent through the outbox."""
from __future__ import annotations

import uuid

from services.core.outbox import enqueue
from services.core.topology import COMMANDS


async def send_command(conn, name: str, args: dict, *, key: str | None = None) -> None:
    """Queue ``name`` for the command consumer once the caller's transaction commits."""
    message_id = key or str(uuid.uuid4())
    await enqueue(conn, "", COMMANDS.name, {"id": message_id, "command": name, "args": args},
                  message_id=message_id)
