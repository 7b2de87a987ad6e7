"""A bench of its own: a throwaway PostgreSQL database, RabbitMQ vhost and free ports, so a bench
never touches a running instance's data; optionally every ledgersync service and the sandbox
provider running in this process against them."""
from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import time
import uuid
from collections.abc import Awaitable
from typing import TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp
import structlog

from services.core.child import free_port
from services.core.db import drop_database, ensure_database
from services.core.settings import Settings

log = structlog.get_logger(__name__)
SERVICES = ["api", "webhook-receiver", "push-worker", "scheduler"]
T = TypeVar("T")


class BenchError(RuntimeError):
    """The bench could not run or did not finish; the message says why."""


async def rabbitmqctl(*args: str, node: str | None = None) -> None:
    exe = shutil.which("rabbitmqctl")
    if exe is None:
        raise BenchError("rabbitmqctl is not on PATH: the bench needs it to create (and afterwards "
                         "delete) a RabbitMQ vhost of its own, so it never touches a running "
                         "instance's queues. Run the bench on the broker's host, as a user allowed "
                         "to run rabbitmqctl.")
    args = ("-n", node, *args) if node else args
    proc = await asyncio.create_subprocess_exec(exe, *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    if proc.returncode != 0:
        detail = (err or out).decode(errors="replace").strip()
        raise BenchError(f"rabbitmqctl {' '.join(args)} failed ({proc.returncode}): {detail}")


def _with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + path))


@contextlib.asynccontextmanager
async def isolated(settings: Settings, rabbitmq_node: str | None = None):
    """Settings like ``settings`` but on a new database and vhost (both removed on exit, even on
    failure), free local ports, and the local sandbox as the provider. ``rabbitmq_node``: the
    node rabbitmqctl manages the vhost on (``-n``), when it is not the default one."""
    run = uuid.uuid4().hex[:8]
    base_db = urlsplit(settings.database_url).path.lstrip("/") or "ledgersync"
    db_name, vhost = f"{base_db}_bench_{run}", f"ledgersync_bench_{run}"
    bench = Settings(**{
        **settings.model_dump(), "database_url": _with_path(settings.database_url, db_name),
        "amqp_url": _with_path(settings.amqp_url, quote(vhost, safe="")),
        "bind_host": "127.0.0.1", "api_port": free_port(), "webhook_port": free_port(),
        "sandbox_port": free_port(), "provider_base_url": "", "sandbox_webhook_url": "",
        "sandbox_public_url": ""})
    await rabbitmqctl("add_vhost", vhost, node=rabbitmq_node)
    try:
        await rabbitmqctl("set_permissions", "-p", vhost, urlsplit(settings.amqp_url).username or "guest",
                          ".*", ".*", ".*", node=rabbitmq_node)
        await ensure_database(bench.database_url)
        try:
            yield bench
        finally:
            await drop_database(bench.database_url)
    finally:
        await rabbitmqctl("delete_vhost", vhost, node=rabbitmq_node)


async def guard(services: asyncio.Task, work: Awaitable[T]) -> T:
    """Await ``work`` unless the in-process services stop first (a crash, or Ctrl-C/SIGTERM,
    which ``serve`` turns into a stop): then fail at once instead of waiting for a timeout."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.wait({task, services}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if not task.cancelled() and task.done():
        return task.result()
    crash = None if services.cancelled() else services.exception()
    raise BenchError("the in-process ledgersync services stopped before the bench finished"
                     + (f": {crash!r}" if crash else " (interrupted?)")) from crash


async def wait_ready(ports: list[int], timeout: float) -> None:
    """Until every port's /readyz answers 200."""
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        for port in ports:
            while True:
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                        if response.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise BenchError(f"http://127.0.0.1:{port}/readyz did not answer 200 within {timeout:.0f}s")
                await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def running_services(bench: Settings, ready_timeout: float = 60.0, names: list[str] | None = None):
    """Every service (or ``names``) and the sandbox (as ``ledgersync run``) in this process;
    yields their task."""
    # the services' imports are heavy: only when needed
    from services.runner import run_services

    stop = asyncio.Event()
    names = SERVICES if names is None else names
    services = asyncio.create_task(run_services(bench, names, sandbox=True, stop_event=stop),
                                   name="bench-services")
    ports = [bench.sandbox_port, bench.api_port] + ([bench.webhook_port] if "webhook-receiver" in names else [])
    try:
        await guard(services, wait_ready(ports, ready_timeout))
        yield services
    finally:
        stop.set()
        try:
            await asyncio.wait_for(services, 60)
        except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - reported by guard, or shutdown noise
            log.warning("bench.services_stop_failed", error=repr(exc))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):  # serve() installed these; give them back
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
