"""The soak's moving parts: every ledgersync process started on its own (`ledgersync <name>`),
killed with SIGKILL and started again; and the commands that restart the broker and the database
the soak runs on (the machine's, unless told otherwise)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from services.bench.isolation import BenchError
from services.core.settings import Settings


@dataclass
class Process:
    """One `ledgersync <command>` with its own environment, log file and ops or HTTP port."""
    name: str
    command: str
    env: dict[str, str]
    port: int
    log_path: Path
    proc: asyncio.subprocess.Process | None = None
    starts: int = 0

    async def start(self) -> None:
        log = self.log_path.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.cli", self.command, env={**os.environ, **self.env},
            stdout=log, stderr=log, start_new_session=True)
        log.close()
        self.starts += 1

    def kill(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 45)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()

    async def ready(self, http: aiohttp.ClientSession, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc and self.proc.returncode is not None:
                raise BenchError(f"{self.name} exited ({self.proc.returncode}); see {self.log_path}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with http.get(f"http://127.0.0.1:{self.port}/readyz") as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise BenchError(f"{self.name} was not ready within {timeout:.0f} s; see {self.log_path}")
            await asyncio.sleep(0.2)


@dataclass
class Fleet:
    """sandbox, api, webhook-receiver, scheduler and two push-workers, each a process."""
    processes: list[Process] = field(default_factory=list)

    @classmethod
    def plan(cls, bench: Settings, log_dir: Path, free_port, extra_env: dict[str, str]) -> Fleet:
        base = {"LEDGERSYNC_DATABASE_URL": bench.database_url, "LEDGERSYNC_AMQP_URL": bench.amqp_url,
                "LEDGERSYNC_API_PORT": str(bench.api_port), "LEDGERSYNC_WEBHOOK_PORT": str(bench.webhook_port),
                "LEDGERSYNC_SANDBOX_PORT": str(bench.sandbox_port), "LEDGERSYNC_LOG_FORMAT": "json",
                "LEDGERSYNC_BIND_HOST": "127.0.0.1", **extra_env}
        parts = [("sandbox", "sandbox-provider", bench.sandbox_port, {}),
                 ("api", "api", bench.api_port, {}),
                 ("webhook-receiver", "webhook-receiver", bench.webhook_port, {}),
                 ("scheduler", "scheduler", port := free_port(), {"LEDGERSYNC_SCHEDULER_PORT": str(port)})]
        for n in (1, 2):
            port = free_port()
            parts.append((f"push-worker-{n}", "push-worker", port, {"LEDGERSYNC_WORKER_PORT": str(port)}))
        return cls([Process(name, command, {**base, **env}, port, log_dir / f"{name}.log")
                    for name, command, port, env in parts])

    def __getitem__(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    async def start(self, http: aiohttp.ClientSession, timeout: float = 90.0) -> None:
        for process in self.processes:
            await process.start()
        for process in self.processes:
            await process.ready(http, timeout)

    async def stop(self) -> None:
        await asyncio.gather(*(p.stop() for p in self.processes), return_exceptions=True)


async def shell(command: str, what: str, timeout: float = 180.0) -> None:
    """Run ``command`` until it exits. Its output goes to a file, not a pipe: what the command
    leaves running (rabbitmqctl's Erlang helpers) may keep a pipe open long after it exited,
    and reading that pipe to its end then waited for the timeout (seen on uvloop)."""
    with tempfile.TemporaryFile() as out:
        proc = await asyncio.create_subprocess_shell(command, stdout=out, stderr=asyncio.subprocess.STDOUT)
        await asyncio.wait_for(proc.wait(), timeout)
        if proc.returncode != 0:
            out.seek(0)
            raise BenchError(f"{what} failed ({proc.returncode}): {command}\n"
                             f"{out.read().decode(errors='replace')[-2000:]}")


def rabbitmq_restart_command(node: str | None) -> str:
    """What the issue's measurement did: stop the broker's application, wait, start it again."""
    ctl = "rabbitmqctl" + (f" -n {shlex.quote(node)}" if node else "")
    return f"{ctl} stop_app && sleep 3 && {ctl} start_app && {ctl} await_startup"


async def postgres_restart_command(database_url: str) -> str:
    """Restart the server behind ``database_url``: its cluster through pg_ctlcluster when it is a
    Debian cluster (the machine's), else `pg_ctl restart` on its data directory as its owner."""
    conn = await asyncpg.connect(database_url)
    try:
        data_dir = await conn.fetchval("SHOW data_directory")
    finally:
        await conn.close()
    parts = Path(data_dir).parts  # /var/lib/postgresql/<version>/<cluster>
    if len(parts) >= 2 and Path("/etc/postgresql", parts[-2], parts[-1]).is_dir():
        return f"pg_ctlcluster --skip-systemctl-redirect {parts[-2]} {parts[-1]} restart"  # fast mode
    owner = Path(data_dir).owner()
    pg_ctl = f"pg_ctl -D {shlex.quote(data_dir)} -m fast -w -l {shlex.quote(data_dir)}/soak-restart.log restart"
    return pg_ctl if owner == os.environ.get("USER", "root") else f"su {owner} -c {shlex.quote(pg_ctl)}"


def postgres_port(database_url: str) -> int:
    return urlsplit(database_url).port or 5432
