"""The consent page clicked through in Debian's headless Chromium, driven by Playwright."""
from __future__ import annotations

import pytest

from tests.support import client
from tests.support.system import LOG_DIR


@pytest.mark.browser
def test_consent_page_in_chromium(system, access_token, new_entity, browser):
    entity = new_entity("Browser Bistro SARL")
    sdk = client.sdk(system.api_url, access_token, entity)
    created = sdk.accounting.connections.create()

    page = browser.new_page()
    page.goto(created.connection_url)
    assert "Browser Bistro SARL" in page.content()
    # Railz offers QuickBooks Online without a separate sandbox service
    label, platform = (("QuickBooks Online Sandbox", "quickbooks_online_sandbox") if system.settings.provider == "codat"
                       else ("QuickBooks Online", "quickbooks_online"))
    page.select_option("select[name=platform]", label=label)
    page.get_by_role("button", name="Allow access").click()
    page.wait_for_load_state()
    assert "Access allowed" in page.content()
    page.screenshot(path=str(LOG_DIR / "consent-allowed.png"))

    connected = client.wait_for(
        lambda: (c := sdk.accounting.connections.get_by_id(created.id)).status == "connected" and c,
        what="the connection to be connected")
    assert connected.platform == platform
