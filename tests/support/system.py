"""A running ledgersync (`ledgersync run` in a subprocess) that tests drive from outside."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from services.core.settings import Settings
from tests.support import syncrun
from tests.support.infra import RunInfra, free_port

LOG_DIR = Path(__file__).resolve().parents[1] / ".logs"


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    done = subprocess.run([sys.executable, "-m", "services.cli", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"ledgersync {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def db(system: RunningSystem, sql: str, *args) -> list:
    """Rows of one query against the running system's database (for what no API shows)."""
    async def go():
        conn = await asyncpg.connect(system.settings.database_url)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()
    return syncrun.run(go())


@dataclass
class RunningSystem:
    infra: RunInfra
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def settings(self) -> Settings:
        return Settings(**{k.removeprefix("LEDGERSYNC_").lower(): v for k, v in self.env.items()
                           if k.startswith("LEDGERSYNC_")})

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.env['LEDGERSYNC_API_PORT']}"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.env['LEDGERSYNC_WEBHOOK_PORT']}"

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.env['LEDGERSYNC_SANDBOX_PORT']}"

    sandbox_proc: subprocess.Popen | None = None

    def start(self, separate_sandbox: bool = False, **extra: str) -> None:
        """`ledgersync run`; with ``separate_sandbox`` the sandbox provider is a process of its
        own, so ledgersync can be killed and restarted while the accounting system keeps its data."""
        ports = {"api_port": free_port(), "webhook_port": free_port(), "sandbox_port": free_port()}
        self.env = {**self.infra.env(**ports), "LEDGERSYNC_LOG_FORMAT": "json",
                    "LEDGERSYNC_LOG_LEVEL": "DEBUG", "LEDGERSYNC_SCHEDULER_TICK_S": "1",
                    "LEDGERSYNC_STALE_PUSH_AFTER": "3", "LEDGERSYNC_PROVIDER_TIMEOUT_S": "8", **extra}
        LOG_DIR.mkdir(exist_ok=True)
        self.log_path = LOG_DIR / f"system-{self.infra.vhost}.log"
        if separate_sandbox:
            with (LOG_DIR / f"sandbox-{self.infra.vhost}.log").open("w") as log:  # the child keeps its own
                self.sandbox_proc = subprocess.Popen([sys.executable, "-m", "services.cli", "sandbox-provider"],
                                                     env={**os.environ, **self.env}, stdout=log, stderr=log)
        self._launch(separate_sandbox)

    def _launch(self, separate_sandbox: bool) -> None:
        command = [sys.executable, "-m", "services.cli", "run"] + (["--no-sandbox"] if separate_sandbox else [])
        with self.log_path.open("a") as log:  # the child writes through its own copy of the descriptor
            self.proc = subprocess.Popen(command, env={**os.environ, **self.env}, stdout=log, stderr=log)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        for url in (self.sandbox_url, self.api_url, self.webhook_url):
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"ledgersync run exited early; see {self.log_path}:\n"
                                       + self.log_path.read_text()[-4000:])
                try:
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} did not become ready; see {self.log_path}")
                time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL ledgersync: no cleanup, unacked messages go back to their queues."""
        self.proc.kill()
        self.proc.wait()

    def restart(self) -> None:
        self._launch(self.sandbox_proc is not None)

    def stop(self) -> int | None:
        code = self.terminate()
        if self.sandbox_proc and self.sandbox_proc.poll() is None:
            self.sandbox_proc.terminate()
            self.sandbox_proc.wait(timeout=30)
        return code

    def terminate(self) -> int | None:
        """SIGTERM ledgersync (not a separate sandbox) and wait for its graceful exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def log_lines(self) -> list[dict]:
        lines = []
        for raw in self.log_path.read_text().splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
        return lines

    def create_partner(self, name: str = "Acme Platform") -> dict:
        return json.loads(cli(self.env, "partner", "create", "--name", name, "--json"))
