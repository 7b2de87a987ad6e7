"""Real infrastructure for tests: a database and a RabbitMQ vhost of the run's own."""
from __future__ import annotations

import shutil
import socket
import subprocess
import uuid

import asyncpg

from tests.support import syncrun

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
HOW_TO_START = ("Start them with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; "
                "rabbitmq-server -detached (or run `bash .ci/run`, which does both).")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_services() -> None:
    for port, name in ((5432, "PostgreSQL"), (5672, "RabbitMQ")):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError as exc:
            raise RuntimeError(f"{name} does not answer on 127.0.0.1:{port}. {HOW_TO_START}") from exc


def rabbitmqctl(*args: str) -> None:
    exe = shutil.which("rabbitmqctl")
    if exe is None:
        raise RuntimeError("rabbitmqctl is not on PATH; tests need it to create their own vhost")
    subprocess.run([exe, *args], check=True, capture_output=True, timeout=60)


class RunInfra:
    """One database and one vhost per test run, removed afterwards."""

    def __init__(self) -> None:
        run = uuid.uuid4().hex[:10]
        self.db_name = f"ledgersync_test_{run}"
        self.vhost = f"ledgersync_test_{run}"
        self.database_url = f"postgresql://postgres@127.0.0.1:5432/{self.db_name}"
        self.amqp_url = f"amqp://guest:guest@127.0.0.1:5672/{self.vhost}"

    def create(self) -> None:
        check_services()
        rabbitmqctl("add_vhost", self.vhost)
        rabbitmqctl("set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*")

    def destroy(self) -> None:
        try:
            rabbitmqctl("delete_vhost", self.vhost)
        finally:
            syncrun.run(self._drop_db())

    async def _drop_db(self) -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
        finally:
            await conn.close()

    def env(self, **ports: int) -> dict[str, str]:
        return {"LEDGERSYNC_DATABASE_URL": self.database_url, "LEDGERSYNC_AMQP_URL": self.amqp_url,
                **{f"LEDGERSYNC_{k.upper()}": str(v) for k, v in ports.items()}}
