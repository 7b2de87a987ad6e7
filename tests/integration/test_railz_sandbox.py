"""The sandbox's Railz surface through the Railz adapter: tokens, consent links that expire,
webhooks retried only twice, faults, validation over the shared ledger, writes whose answer is
lost, and the admin API."""
from __future__ import annotations

import asyncio
import uuid
from datetime import date

import aiohttp
import pytest

from services.core.errors import ProviderRateLimited, ProviderRejected, ProviderUnavailable
from services.core.settings import Settings
from services.providers.base import WriteAttempt
from services.providers.railz import RailzAdapter
from services.sandbox_provider.state import Timing
from services.sandbox_provider.testing import FAST, run_sandbox


def adapter_for(sandbox, session, **overrides) -> RailzAdapter:
    return RailzAdapter(Settings(**{**sandbox.settings.model_dump(), "provider": "railz", **overrides}), session)


async def connected(adapter: RailzAdapter, sandbox, session, platform: str = "xero") -> tuple[str, str]:
    company = await adapter.create_company("Railz Sandbox GmbH", {"entity_id": str(uuid.uuid4())})
    async with session.post(company.link_url, data={"platform": platform, "action": "allow"}) as consent:
        assert consent.status == 200
    await sandbox.settle()
    return company.id, await adapter.active_connection(company.id)


async def test_one_token_is_shared_renewed_before_it_expires_and_after_a_401():
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as session:
        adapter = adapter_for(sandbox, session)
        now = [1_000_000.0]
        adapter.http._clock = lambda: now[0]
        company = await adapter.create_company("Token GmbH", {"entity_id": str(uuid.uuid4())})
        await asyncio.gather(*(adapter.get_company(company.id) for _ in range(20)))
        assert adapter.http.token_fetches == 1  # one renewal at a time per process
        now[0] += 3600 - 60  # within the last minutes of its hour: renewed ahead
        await adapter.get_company(company.id)
        assert adapter.http.token_fetches == 2
        async with session.post(f"{sandbox.url}/admin/railz/tokens/revoke") as revoked:
            assert revoked.status == 200
        await adapter.get_company(company.id)  # 401, a new token, the same call again
        assert adapter.http.token_fetches == 3
        with pytest.raises(ProviderRejected, match="API keys"):
            await adapter_for(sandbox, session, provider_secret_key="SB_wrong").get_company(company.id)


async def test_a_consent_link_expires_and_a_fresh_one_works():
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as session:
        adapter = adapter_for(sandbox, session)
        company = await adapter.create_company("Link GmbH", {"entity_id": str(uuid.uuid4())})
        async with session.post(f"{sandbox.url}/admin/railz/businesses/{company.id}/expire_links") as expired:
            assert (await expired.json())["expired"] == 1
        async with session.get(company.link_url) as page:
            assert page.status == 410 and "expired" in await page.text()
        fresh = await adapter.get_company(company.id)
        assert fresh.link_url != company.link_url
        async with session.get(fresh.link_url) as page:
            assert page.status == 200 and "QuickBooks Online" in await page.text()


async def test_a_webhook_that_is_not_accepted_is_sent_twice_more_then_given_up():
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as session:
        sandbox.railz_sink.status = 500
        adapter = adapter_for(sandbox, session)
        await connected(adapter, sandbox, session)
        async with session.get(f"{sandbox.url}/admin/webhooks", params={"eventType": "auth"}) as answer:
            [auth] = (await answer.json())["results"]
        assert (auth["status"], auth["attempts"]) == ("failed", 3)


async def test_faults_reach_the_railz_surface():
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as session:
        adapter = adapter_for(sandbox, session)
        company_id, link = await connected(adapter, sandbox, session)
        async with session.put(f"{sandbox.url}/admin/companies/{company_id}/faults",
                               json={"rate_limit_per_minute": 1}) as put:
            assert put.status == 200
        await adapter.list_page(company_id, "accounts")  # one call: the active connection is remembered
        with pytest.raises(ProviderRateLimited) as limited:
            await adapter.list_page(company_id, "accounts")
        assert limited.value.retry_after >= 1
        async with session.put(f"{sandbox.url}/admin/companies/{company_id}/faults",
                               json={"rate_limit_per_minute": None, "error_rate": 1.0}) as put:
            assert put.status == 200
        with pytest.raises(ProviderUnavailable):
            await adapter.list_page(company_id, "accounts")


async def test_pushes_are_validated_over_the_shared_ledger_with_the_platform_rules():
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as session:
        adapter = adapter_for(sandbox, session)
        company_id, link = await connected(adapter, sandbox, session, "quickbooks")
        bad = await adapter.push(company_id, link, "invoices", {
            "customerRef": {"id": "no-such-customer"}, "postedDate": str(date.today()),
            "lines": [{"quantity": 1.0, "unitAmount": 10.0}]}, "k")
        first = await adapter.push(company_id, link, "customers", {"customerName": "Doppel GmbH"}, "k")
        await sandbox.settle()
        clash = await adapter.push(company_id, link, "suppliers", {"vendorName": "Doppel GmbH"}, "k")
        await sandbox.settle()
        bad = await adapter.get_push_operation(company_id, bad.operation_id)
        assert (bad.status, bad.errors[0]["item_id"]) == ("failed", "customerRef.id")
        assert "does not exist in QuickBooks Online" in bad.error_message
        assert (await adapter.get_push_operation(company_id, first.operation_id)).status == "success"
        clash = await adapter.get_push_operation(company_id, clash.operation_id)
        assert clash.status == "failed" and "Doppel GmbH" in clash.error_message


async def test_a_write_whose_answer_is_lost_is_found_by_its_natural_key():
    timing = Timing(**{**FAST.__dict__, "timeout_hold_s": 3.0})
    async with run_sandbox(timing=timing) as sandbox, aiohttp.ClientSession() as session:
        adapter = adapter_for(sandbox, session, provider_timeout_s=1.0)
        company_id, link = await connected(adapter, sandbox, session)
        body = {"customerName": f"Verloren {uuid.uuid4().hex[:6]}"}
        attempt = WriteAttempt("customer", "customers", body, "k", None)
        assert await adapter.find_written(company_id, link, attempt) is None
        async with session.put(f"{sandbox.url}/admin/companies/{company_id}/faults", json={"timeout_rate": 1.0}):
            pass
        with pytest.raises(ProviderUnavailable):
            await adapter.push(company_id, link, "customers", body, "k")
        async with session.put(f"{sandbox.url}/admin/companies/{company_id}/faults", json={"timeout_rate": None}):
            pass
        await sandbox.settle()
        found = await adapter.find_written(company_id, link, attempt)
        async with session.get(f"{sandbox.url}/admin/companies/{company_id}/customers") as ledger:
            named = [r for r in (await ledger.json())["results"] if r["customerName"] == body["customerName"]]
        assert [r["id"] for r in named] == [found]  # written once, and found


async def test_admin_lists_railz_businesses_and_a_revoked_access_is_announced():
    async with run_sandbox() as sandbox, aiohttp.ClientSession() as session:
        adapter = adapter_for(sandbox, session)
        company_id, link = await connected(adapter, sandbox, session)
        async with session.get(f"{sandbox.url}/admin/companies") as listed:
            [business] = await listed.json()
        entity = (await adapter.get_company(company_id)).name
        assert (business["provider"], business["tags"]) == ("railz", {"entity_id": entity})
        assert business["connections"] == [{"id": link, "platformName": "Xero", "status": "Linked"}]
        async with session.post(f"{sandbox.url}/admin/companies/{company_id}/deauthorize") as revoked:
            assert revoked.status == 200
        await sandbox.settle()
        event = await sandbox.railz_sink.wait_for("connectionStatus")
        notice = adapter.read_webhook("connectionStatus", event)
        assert (notice.change, notice.connection.id, notice.company_id) == ("deauthorized", link, company_id)
