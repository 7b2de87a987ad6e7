"""A component that is a child process: `ledgersync <service>` started beside this one at a
lower CPU priority, started again when it dies, stopped with SIGTERM (then SIGKILL) with it.
The webhook-receiver runs its processor so: work behind a queue never takes the CPU that
answering needs."""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys

import aiohttp
import structlog

from services.core import metrics_merge
from services.core.lifecycle import STOP_TIMEOUT_S, Component

log = structlog.get_logger(__name__)
PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _child_setup(niceness: int) -> None:
    """In the child before exec: lower priority; SIGTERM when this process dies (Linux)."""
    os.nice(niceness)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class ChildProcess(Component):
    """``ledgersync <args>`` in this process's environment, its ops port (/readyz, /metrics)
    on a free port of its own (``LEDGERSYNC_WORKER_PORT``): its readiness is ``state``, and
    ``metrics`` is this process's /metrics with the child's merged in."""

    def __init__(self, name: str, args: list[str], niceness: int = 10) -> None:
        self.name, self.args, self.niceness = name, args, niceness
        self.ops_port = free_port()
        self.env = {**os.environ, "LEDGERSYNC_WORKER_PORT": str(self.ops_port)}
        self.proc: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._keep_running(), name=self.name)

    async def _keep_running(self) -> None:
        while True:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "services.cli", *self.args, env=self.env,
                preexec_fn=lambda: _child_setup(self.niceness))
            log.info("child.started", child=self.name, pid=self.proc.pid)
            code = await self.proc.wait()
            log.error("child.exited", child=self.name, code=code)
            await asyncio.sleep(1)

    async def state(self, http: aiohttp.ClientSession) -> dict | str:
        """The child's own /readyz body, or why there is none."""
        try:
            async with http.get(f"http://127.0.0.1:{self.ops_port}/readyz",
                                timeout=aiohttp.ClientTimeout(total=2)) as response:
                return await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return "not running"

    async def scrape(self, http: aiohttp.ClientSession) -> str | None:
        """The child's own /metrics text, or None when it does not answer it within a second."""
        try:
            async with http.get(f"http://127.0.0.1:{self.ops_port}/metrics",
                                timeout=aiohttp.ClientTimeout(total=1)) as response:
                return await response.text() if response.status == 200 else None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return None

    async def metrics(self, http: aiohttp.ClientSession) -> tuple[bytes, str]:
        """This process's /metrics body and its content type, the child's series in it labelled
        ``process="<name>"``, and ``ledgersync_child_up{child="<name>"}`` (services/core/metrics_merge)."""
        return metrics_merge.render(self.name, await self.scrape(http))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.proc is None or self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), STOP_TIMEOUT_S - 1)
        except asyncio.TimeoutError:
            self.proc.kill()
            await self.proc.wait()
