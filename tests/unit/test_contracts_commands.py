"""Internal queue messages: one model each, parsed at the edge, with the handler table in step."""
from __future__ import annotations

import json
import uuid

import pytest

from contracts.commands import (
    COMMANDS,
    PullConnection,
    PushRecord,
    WebhookReference,
    command_message,
    parse_command,
    parse_message,
)
from contracts.errors import ContractViolation
from services.push_worker.handlers import command_handlers


def test_a_command_round_trips_through_its_message():
    command = PushRecord(record_id=uuid.uuid4(), generation=3)
    body = json.dumps(command_message(command, "m-1"))
    assert parse_command(body) == command


def test_an_empty_run_id_of_an_older_pull_message_means_no_run():
    body = {"id": "m", "command": "pull_connection",
            "args": {"connection_id": str(uuid.uuid4()), "sync_run_id": "", "data_types": ["items"]}}
    command = parse_command(json.dumps(body))
    assert isinstance(command, PullConnection) and command.sync_run_id is None and command.failed == {}


@pytest.mark.parametrize(("body", "reason"), [
    (b"not json", "not JSON"), (b"[]", "malformed command"),
    (json.dumps({"id": "m", "command": "launch_rocket", "args": {}}).encode(), "unknown command"),
    (json.dumps({"id": "m", "command": "push_record", "args": {"record_id": "x", "generation": 1}}).encode(),
     "malformed push_record command"),
    (json.dumps({"id": "m", "command": "settle_push", "args": {"attempt_id": str(uuid.uuid4()),
                                                                "extra": 1}}).encode(), "extra"),
])
def test_a_bad_command_is_refused_with_the_reason(body, reason):
    with pytest.raises(ContractViolation, match=reason):
        parse_command(body)


def test_a_webhook_reference_needs_both_fields():
    assert parse_message(WebhookReference, b'{"provider": "codat", "webhook_id": "w"}', "ref").webhook_id == "w"
    with pytest.raises(ContractViolation, match="webhook reference"):
        parse_message(WebhookReference, b'{"provider": "codat"}', "webhook reference")


def test_every_command_has_one_handler_and_every_handler_a_command():
    assert set(command_handlers(pool=None, adapter=None)) == set(COMMANDS)
