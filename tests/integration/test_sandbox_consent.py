"""Sandbox provider: the consent page behind link URLs, and deauthorization."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class FormParser(HTMLParser):
    """The parts of the consent form a browser would use."""

    def __init__(self) -> None:
        super().__init__()
        self.form: dict | None = None
        self.options: list[tuple[str, bool]] = []
        self.buttons: list[dict] = []
        self._button: dict | None = None
        self._option: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = attrs
        elif tag == "select":
            self.select_name = attrs.get("name")
        elif tag == "option":
            self._option = attrs
        elif tag == "button":
            self._button = {**attrs, "text": ""}

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data
        if self._option is not None:
            self.options.append((data.strip(), "selected" in self._option,
                                 self._option.get("value")))
            self._option = None

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None:
            self._button["text"] = self._button["text"].strip()
            self.buttons.append(self._button)
            self._button = None


def parse(html: str) -> FormParser:
    parser = FormParser()
    parser.feed(html)
    return parser


async def new_company(http, name="Bäckerei Müller GmbH") -> dict:
    return await (await http.post("/companies", json={"name": name,
                                                      "tags": {"entity_id": "e-1"}})).json()


async def test_company_link_form_allows_access_and_sends_a_signed_webhook(sandbox):
    async with sandbox.client() as http:
        company = await new_company(http)
        page = await http.get(company["redirect"])
        html = await page.text()
        form = parse(html)
        assert page.status == 200 and "Bäckerei Müller GmbH" in html
        assert form.form["method"] == "post" and form.select_name == "platform"
        labels = [(label, value) for label, _sel, value in form.options]
        assert labels == [("Xero", "Xero"), ("QuickBooks Online", "QuickBooks Online"),
                          ("QuickBooks Online Sandbox", "QuickBooks Online Sandbox")]
        allow = next(b for b in form.buttons if b["text"] == "Allow access")
        assert allow["type"] == "submit"

        answer = await http.post(form.form["action"], data={
            "platform": "QuickBooks Online", allow["name"]: allow["value"]})
        text = await answer.text()
        assert answer.status == 200
        assert "Access allowed" in text and "QuickBooks Online" in text

        event = await sandbox.sink.wait_for("connection.connected")
        connection = event["payload"]["connection"]
        assert connection["status"] == "Linked" and connection["platformName"] == "QuickBooks Online"
        assert connection["integrationKey"] == "qhyg" and connection["lastSync"]
        assert connection["connectionInfo"]["organisationName"] == "Bäckerei Müller GmbH"
        assert connection["connectionInfo"]["baseCurrency"] == "EUR"
        reference = event["payload"]["referenceCompany"]
        assert reference["id"] == company["id"] and reference["tags"] == {"entity_id": "e-1"}

        received = sandbox.sink.received[-1]
        assert received.headers["webhook-id"] == event["id"]
        Webhook(sandbox.settings.provider_webhook_secret).verify(received.raw, received.headers)
        with pytest.raises(WebhookVerificationError):
            Webhook("whsec_" + "A" * 32).verify(received.raw, received.headers)

        stored = await (await http.get(f"/companies/{company['id']}")).json()
        assert [c["status"] for c in stored["dataConnections"]] == ["Linked"]


async def test_linking_reuses_the_pending_connection_of_that_platform(sandbox):
    async with sandbox.client() as http:
        company = await new_company(http)
        pending = await (await http.post(f"/companies/{company['id']}/connections",
                                         json={"platformKey": "gbol"})).json()
        answer = await http.post(f"/link/{company['id']}", data={"platform": "xero"})
        assert answer.status == 200
        connections = await (await http.get(f"/companies/{company['id']}/connections")).json()
    assert [(c["id"], c["status"]) for c in connections["results"]] == [(pending["id"], "Linked")]


async def test_connection_link_url_preselects_its_platform_and_links_it(sandbox):
    async with sandbox.client() as http:
        company = await new_company(http)
        connection = await (await http.post(f"/companies/{company['id']}/connections",
                                            json={"platformKey": "ndvw"})).json()
        page = await http.get(connection["linkUrl"])
        form = parse(await page.text())
        assert [label for label, selected, _v in form.options if selected] == \
            ["QuickBooks Online Sandbox"]
        answer = await http.post(connection["linkUrl"], data={"action": "allow"})
        assert answer.status == 200 and "QuickBooks Online Sandbox" in await answer.text()
        linked = await (await http.get(
            f"/companies/{company['id']}/connections/{connection['id']}")).json()
    assert linked["status"] == "Linked"
    event = await sandbox.sink.wait_for("connection.connected")
    assert event["payload"]["connection"]["id"] == connection["id"]


async def test_unknown_platform_and_unknown_company_get_error_pages(sandbox):
    async with sandbox.client() as http:
        company = await new_company(http)
        unknown_platform = await http.post(f"/link/{company['id']}", data={"platform": "Sage"})
        unknown_company = await http.get("/link/00000000-0000-0000-0000-000000000000")
        assert unknown_platform.status == 400
        assert "Sage" in await unknown_platform.text()
        assert unknown_company.status == 404
        assert "text/html" in unknown_company.headers["Content-Type"]
        connections = await (await http.get(f"/companies/{company['id']}/connections")).json()
    assert connections["results"] == []


async def test_deny_sends_connection_failed_and_leaves_it_pending(sandbox):
    async with sandbox.client() as http:
        company = await new_company(http)
        answer = await http.post(f"/link/{company['id']}",
                                 data={"platform": "Xero", "action": "deny"})
        assert answer.status == 200 and "denied" in (await answer.text()).lower()
    event = await sandbox.sink.wait_for("connection.failed")
    assert event["payload"]["connection"]["status"] == "PendingAuth"
    assert not sandbox.sink.events("connection.connected")


async def test_deauthorize_sends_connection_disconnected(sandbox):
    async with sandbox.client() as http:
        company = await new_company(http)
        await http.post(f"/link/{company['id']}", data={"platform": "Xero"})
        response = await http.post(f"/admin/companies/{company['id']}/deauthorize")
        summary = await response.json()
        assert response.status == 200
        assert [c["status"] for c in summary["connections"]] == ["Deauthorized"]
    event = await sandbox.sink.wait_for("connection.disconnected")
    assert event["payload"]["connection"]["status"] == "Deauthorized"
    assert event["payload"]["referenceCompany"]["id"] == company["id"]
