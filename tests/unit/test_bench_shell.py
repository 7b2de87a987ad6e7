"""The soak's shell commands (the broker's and the database's restarts) end when the command
exits, even when it leaves a process behind that still holds its output open, as rabbitmqctl's
Erlang helpers do: reading that output to its end once made a restart wait for its timeout."""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvloop

from services.bench.isolation import BenchError
from services.bench.processes import shell

LEAVES_A_HOLDER = "sleep 6 & echo restarted"  # exits at once; the sleep keeps stdout open 6 s


def _in_a_thread(run, coroutine):
    """Run on a loop of a thread of its own: a loop run and closed here would leave this thread
    without one, and the async tests after this module share it."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(run, coroutine).result()


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_a_command_that_leaves_a_process_behind_ends_when_it_exits(loop):
    run = uvloop.run if loop == "uvloop" else asyncio.run
    started = time.monotonic()
    _in_a_thread(run, shell(LEAVES_A_HOLDER, "a restart", timeout=10))
    assert time.monotonic() - started < 3


def test_a_failing_command_says_what_it_printed():
    with pytest.raises(BenchError, match=r"a restart failed \(3\).*\n.*broker is not installed"):
        _in_a_thread(asyncio.run, shell("echo 'broker is not installed' >&2; exit 3", "a restart", timeout=10))
