"""`ledgersync bench pipeline|baseline`: both run end to end, in this process, on a database and
vhost of their own. Shape and completeness only: timings depend on the machine."""
from __future__ import annotations

import asyncio
import shutil

import asyncpg
import pytest

from services.bench.api import run_api
from services.bench.baseline import run_baseline
from services.bench.isolation import isolated
from services.bench.pipeline import run_bench
from services.bench.webhooks import run_webhooks
from services.core.settings import Settings

KEYS = {"events", "seconds", "events_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors",
        "peak_rss_mb"}


def _complete(result: dict, events: int) -> None:
    assert KEYS <= result.keys(), result
    assert result["events"] == events and result["errors"] == 0, result
    assert result["seconds"] > 0 and result["events_per_s"] > 0
    assert 0 < result["min_ms"] <= result["p50_ms"] <= result["p90_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert result["peak_rss_mb"] > 0


async def test_pipeline_bench_takes_every_invoice_to_done():
    _complete(await run_bench(Settings(), 20), 20)


async def test_baseline_bench_completes_every_message():
    _complete(await run_baseline(Settings(), 20), 20)


async def _vhosts() -> str:
    proc = await asyncio.create_subprocess_exec(shutil.which("rabbitmqctl"), "list_vhosts",
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    return out.decode()


async def test_the_bench_database_and_vhost_are_removed_even_after_a_failure():
    settings = Settings()
    with pytest.raises(RuntimeError, match="boom"):
        async with isolated(settings) as bench:
            db_name, vhost = bench.database_url.rsplit("/", 1)[1], bench.amqp_url.rsplit("/", 1)[1]
            assert db_name != settings.database_url.rsplit("/", 1)[1] and "_bench_" in db_name
            assert vhost in await _vhosts()
            raise RuntimeError("boom")
    conn = await asyncpg.connect(settings.database_url.rsplit("/", 1)[0] + "/postgres")
    try:
        assert await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = $1", db_name) == 0
    finally:
        await conn.close()
    assert vhost not in await _vhosts()


async def test_worker_processes_keep_to_the_cap_of_calls_per_company():
    settings = Settings(provider_max_concurrency=3)
    result = await run_bench(settings, 30, workers=2, provider_latency_ms=200)
    _complete(result, 30)
    assert result["workers"] == 2 and len(result["worker_peak_rss_mb"]) == 4
    assert 1 <= result["in_flight_max_per_company"] <= 3  # two push-workers, one cap


async def test_webhook_and_list_benches_compare_with_their_floors():
    hooks = await run_webhooks(Settings(), 60, 8)
    assert hooks["webhook_receiver"]["statuses"] == {200: 60} and hooks["floor"]["statuses"] == {204: 60}
    assert hooks["throughput_vs_floor"] > 0
    pages = await run_api(Settings(), 500, 40, 4)
    assert pages["api"]["statuses"] == {200: 40} and pages["floor"]["statuses"] == {200: 40}
