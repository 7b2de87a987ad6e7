"""Settings from the environment (prefix ``LEDGERSYNC_``).

With no settings at all, every process finds the others on localhost with the same
development secrets, exactly as inside ``ledgersync run``.
"""
from __future__ import annotations

import base64
import re
from datetime import timedelta
from functools import cached_property
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development defaults only: `ledgersync run` and the test-suite use them; production
# deployments must set their own (README, "Running in production").
DEV_JWT_SECRET = "ledgersync-dev-jwt-secret-change-me-in-production-0123456789"
DEV_PROVIDER_API_KEY = "ledgersync-dev-provider-api-key"
DEV_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"ledgersync-dev-webhook-secret-32b").decode()
DEV_PROVIDER_CLIENT_ID = "ledgersync-dev-railz-client"  # Railz: client id + secret key
DEV_PROVIDER_SECRET_KEY = "SB_ledgersync-dev-railz-secret-key"


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(value: object) -> object:
    """Seconds ("86400", 3.5), or a number with a unit ("24h", "15m", "30s", "1d"), or ISO 8601."""
    if isinstance(value, str):
        text = value.strip().lower()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return timedelta(seconds=float(text))
        if match := re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd])", text):
            return timedelta(seconds=float(match[1]) * _UNITS[match[2]])
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGERSYNC_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/ledgersync"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"

    bind_host: str = "127.0.0.1"
    api_port: int = 8080
    webhook_port: int = 8081
    sandbox_port: int = 8090
    worker_port: int = 8082      # the push-worker's ops port (/healthz, /readyz, /metrics)
    scheduler_port: int = 8083   # the scheduler's

    provider: Literal["codat", "railz"] = "codat"
    provider_base_url: str = ""  # empty: the local sandbox on sandbox_port
    provider_api_key: str = DEV_PROVIDER_API_KEY
    provider_webhook_secret: str = DEV_WEBHOOK_SECRET  # several: comma-separated (rotation)
    provider_client_id: str = DEV_PROVIDER_CLIENT_ID
    provider_secret_key: str = DEV_PROVIDER_SECRET_KEY
    provider_auth_url: str = ""  # Railz's token endpoint; empty: the local sandbox's /getAccess
    provider_max_concurrency: int = Field(default=10, ge=1)  # Codat: 10 per company
    provider_timeout_s: float = Field(default=30.0, gt=0)

    # Where the sandbox delivers its webhooks; empty: this machine's webhook-receiver.
    sandbox_webhook_url: str = ""
    sandbox_railz_webhook_url: str = ""  # the same for its Railz webhooks (/webhooks/railz)
    # The sandbox's own public address (used in link URLs); empty: http://127.0.0.1:sandbox_port
    sandbox_public_url: str = ""

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "ledgersync"
    jwt_audience: str = "ledgersync-api"
    token_ttl_s: int = 1800

    sync_interval: Duration = timedelta(hours=24)
    stale_push_after: Duration = timedelta(minutes=5)
    scheduler_tick_s: float = Field(default=15.0, gt=0)
    max_body_bytes: int = 1_048_576
    webhook_tolerance_s: int = 300

    # The event loop every command runs on: uvloop (libuv; cheaper sockets and scheduling) or
    # Python's own asyncio loop (also what runs when uvloop is not installed)
    event_loop: Literal["uvloop", "asyncio"] = "uvloop"
    # allocations between two collections of the youngest generation (Python's default: 700);
    # 0 leaves the collector as Python sets it (services/core/event_loop.py, tune_gc)
    gc_threshold: int = Field(default=50_000, ge=0)

    log_format: Literal["json", "console", "auto"] = "auto"
    log_level: str = "INFO"

    # Partner webhooks out (services/partner_webhooks). allow_private unset: allowed only with
    # the development secrets (`ledgersync run`, tests), so production refuses private targets.
    partner_webhook_timeout_s: float = Field(default=10.0, gt=0)
    partner_webhook_retry_base_s: float = Field(default=10.0, gt=0)
    partner_webhook_retry_cap_s: float = Field(default=3600.0, gt=0)
    partner_webhook_retry_for: Duration = timedelta(hours=24)
    partner_webhook_concurrency: int = Field(default=32, ge=1)
    partner_webhook_per_subscription: int = Field(default=4, ge=1)
    partner_webhook_allow_private: bool | None = None

    # `ledgersync webhook-receiver` alone: its processor in a child process of lower CPU
    # priority ("child"), in the receiver's own event loop ("inline", as in `ledgersync run`),
    # or nowhere ("none": `ledgersync webhook-processor` runs as a deployment of its own)
    webhook_processor: Literal["child", "inline", "none"] = "child"
    webhook_processor_nice: int = Field(default=10, ge=0, le=19)  # the child's niceness

    db_pool_min: int = 1
    db_pool_max: int = 10
    prefetch: int = 64  # unacked messages per consumer: the most a batch takes in one transaction

    @cached_property
    def sandbox_url(self) -> str:
        return (self.sandbox_public_url or f"http://127.0.0.1:{self.sandbox_port}").rstrip("/")

    @cached_property
    def provider_url(self) -> str:
        return (self.provider_base_url or self.sandbox_url).rstrip("/")

    @cached_property
    def provider_token_url(self) -> str:
        return self.provider_auth_url or f"{self.sandbox_url}/getAccess"

    @cached_property
    def webhook_secrets(self) -> list[str]:
        """Every accepted webhook secret (rotation); the first is the current one."""
        return [s.strip() for s in self.provider_webhook_secret.split(",") if s.strip()]

    @cached_property
    def railz_webhook_target_url(self) -> str:
        return self.sandbox_railz_webhook_url or f"http://127.0.0.1:{self.webhook_port}/webhooks/railz"

    @cached_property
    def webhook_target_url(self) -> str:
        return self.sandbox_webhook_url or f"http://127.0.0.1:{self.webhook_port}/webhooks/codat"

    @property
    def partner_webhooks_allow_private(self) -> bool:
        allowed = self.partner_webhook_allow_private
        return self.uses_dev_secrets() if allowed is None else allowed

    def uses_dev_secrets(self) -> bool:
        return self.jwt_secret == DEV_JWT_SECRET or self.provider_webhook_secret == DEV_WEBHOOK_SECRET
