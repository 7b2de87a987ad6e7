"""ledgersync services as separate processes for a bench, and what each one costs (CPU, memory)
read from /proc, so a multi-process run is measured as a whole."""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time

import aio_pika

from services.bench.isolation import BenchError, free_port
from services.core.settings import Settings

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int | None = None) -> float:
    """User + system CPU seconds of a process (this one by default), from /proc."""
    with open(f"/proc/{pid or 'self'}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def family(pid: int) -> list[int]:
    """The process and its descendants (a webhook-receiver's processor child)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in family(child))]


def family_cpu_s(pid: int) -> float:
    """CPU seconds of the process and its living descendants."""
    total = 0.0
    for member in family(pid):
        with contextlib.suppress(OSError):
            total += cpu_s(member)
    return total


def rss_mb(pid: int | None = None, field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or its peak (VmHWM), in MB."""
    with open(f"/proc/{pid or 'self'}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def environment(bench: Settings, **overrides: object) -> dict[str, str]:
    """The environment that makes a `ledgersync <service>` process use the bench's database,
    vhost, ports and sandbox."""
    values = {"database_url": bench.database_url, "amqp_url": bench.amqp_url, "api_port": bench.api_port,
              "webhook_port": bench.webhook_port, "sandbox_port": bench.sandbox_port,
              "provider_base_url": bench.provider_base_url, "sandbox_webhook_url": bench.sandbox_webhook_url,
              "worker_port": free_port(), "scheduler_port": free_port(), "prefetch": bench.prefetch,
              "db_pool_max": bench.db_pool_max, "provider_max_concurrency": bench.provider_max_concurrency,
              "log_level": "WARNING", **overrides}
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGERSYNC_")}
    env.update({f"LEDGERSYNC_{k.upper()}": str(v) for k, v in values.items()})
    return env


class Processes:
    """Started `ledgersync` processes; stopped with SIGTERM (then SIGKILL) on exit."""

    def __init__(self) -> None:
        self.started: list[tuple[str, asyncio.subprocess.Process]] = []
        self._logs: list = []

    async def start(self, bench: Settings, *args: str, module: str = "services.cli", **overrides: object) -> int:
        """``ledgersync *args`` (or ``python -m module *args``) on the bench's settings."""
        log = tempfile.TemporaryFile()  # its stderr: shown if it dies, never a pipe that fills up
        self._logs.append(log)
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", module, *args, env=environment(bench, **overrides),
            stdout=asyncio.subprocess.DEVNULL, stderr=log)
        self.started.append((" ".join(args), proc))
        return proc.pid

    @property
    def pids(self) -> list[int]:
        return [proc.pid for _, proc in self.started]

    def check(self) -> None:
        for (name, proc), log in zip(self.started, self._logs, strict=True):
            if proc.returncode is not None:
                log.seek(0)
                tail = log.read().decode(errors="replace")[-2000:]
                raise BenchError(f"`ledgersync {name}` exited with {proc.returncode}: {tail}")

    def cpu_s(self) -> float:
        return sum(cpu_s(pid) for pid in self.pids)

    def peak_rss_mb(self) -> dict[str, float]:
        return {f"{name} [{proc.pid}]": rss_mb(proc.pid, "VmHWM") for name, proc in self.started}

    async def stop_one(self, pid: int, timeout: float = 30.0) -> None:
        """SIGTERM one of them and wait for it (it is forgotten afterwards)."""
        for i, (_, proc) in enumerate(self.started):
            if proc.pid == pid:
                proc.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(proc.wait(), timeout)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
                del self.started[i]
                self._logs.pop(i).close()
                return

    async def stop(self, timeout: float = 30.0) -> None:
        for _, proc in self.started:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in self.started:
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for log in self._logs:
            log.close()
        self.started, self._logs = [], []


@contextlib.asynccontextmanager
async def processes():
    running = Processes()
    try:
        yield running
    finally:
        await running.stop()


async def wait_consumers(bench: Settings, queues: dict[str, int], running: Processes,
                         timeout: float = 60.0) -> None:
    """Until each queue has at least its number of consumers (the processes subscribed)."""
    deadline = time.monotonic() + timeout
    connection = await aio_pika.connect(bench.amqp_url)
    try:
        for name, wanted in queues.items():
            while await _consumers(connection, name) < wanted:
                running.check()
                if time.monotonic() > deadline:
                    raise BenchError(f"queue {name} did not get {wanted} consumers within {timeout:.0f}s")
                await asyncio.sleep(0.2)
    finally:
        await connection.close()


async def _consumers(connection, queue: str) -> int:
    channel = await connection.channel()
    try:
        return (await channel.declare_queue(queue, passive=True)).declaration_result.consumer_count
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return 0  # not declared yet: no process got that far
    finally:
        if not channel.is_closed:
            await channel.close()
