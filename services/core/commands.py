"""Internal commands (imperatives with one handler), sent through the outbox."""
from __future__ import annotations

import uuid

from contracts.commands import Command, command_message
from services.core.bus import first_retry
from services.core.outbox import enqueue
from services.core.topology import COMMANDS


async def send_command(conn, command: Command, *, key: str | None = None,
                       failed_with: BaseException | None = None) -> None:
    """Queue ``command`` for the command consumer once the caller's transaction commits;
    ``failed_with``: its work was tried once already and failed so: it goes through the
    delayed-retry tiers, as a failed first delivery of it would."""
    message_id = key or str(uuid.uuid4())
    queue, headers = first_retry(COMMANDS.name, failed_with) if failed_with else (COMMANDS.name, None)
    await enqueue(conn, "", queue, command_message(command, message_id), message_id=message_id, headers=headers)
