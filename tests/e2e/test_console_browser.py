"""The operator console in Debian's headless Chromium, as an operator uses it: sign in, find why
an invoice failed, fix it, push again, replay a dead letter; and what must be refused."""
from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.support import client, flows
from tests.support.console import csrf_token, operator, shot, sign_in
from tests.support.infra import free_port
from tests.support.system import db

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    """A page in a browser context of its own (its cookies), closed after the test."""
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def admin(system) -> dict:
    return operator(system, f"ada-{uuid.uuid4().hex[:6]}", "admin")


@pytest.fixture(scope="module")
def viewer(system) -> dict:
    return operator(system, f"vic-{uuid.uuid4().hex[:6]}", "viewer")


@pytest.fixture(scope="module")
def failed_invoice(system, partner, access_token):
    """A connected entity whose invoice failed: no 16% tax rate exists in its Xero."""
    name = f"Konsole Kaffee {uuid.uuid4().hex[:6]} GmbH"
    entity, sdk, connection, product = flows.connected_shop(system, partner, access_token, name)
    customer = flows.counterpart(system, entity, f"Kundin {uuid.uuid4().hex[:6]}")
    data = flows.invoice_data(customer, [(product, "Beratung", 1, 10000, 1600)])
    stuck = flows.invoice_data(customer, [(product, "Schulung", 1, 10000, 1700)])  # 17%: never fixed
    client.publish(system.settings.amqp_url, client.cloud_event("receivable.issued", data, entity),
                   client.cloud_event("receivable.issued", stuck, entity))
    record, other = flows.record_of(sdk, "receivable", data["id"]), flows.record_of(sdk, "receivable", stuck["id"])
    assert record.sync_status == other.sync_status == "error"
    return {"entity": entity, "name": name, "sdk": sdk, "connection": connection, "record": record.id,
            "stuck": other.id}


def _reload_until(page, text: str, what: str) -> None:
    """Reload the page until it shows the text. Call it on a loaded page: a reload that meets a
    navigation still under way (a form's POST and its redirect) fails with 'Not attached to an
    active page'."""
    page.wait_for_load_state("load")
    client.wait_for(lambda: page.reload() and text in page.content(), timeout=30, every=0.5, what=what)


def test_admin_finds_fixes_and_pushes_a_failed_invoice(system, page, admin, failed_invoice):
    base, shop = system.api_url, failed_invoice
    sign_in(page, base, admin)
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert "Pushes per hour by outcome" in page.content() and page.locator("svg.chart").count() == 1
    queues = page.get_by_role("region", name="Consumers and dead letters").inner_text()
    assert "ledgersync.push-worker\tconsuming\t1" in queues and "database\tok" in queues, queues
    assert "consumers ledgersync.push-worker\tsubscribed" in queues, "each consumer's state, from /readyz"
    page.keyboard.press("Tab")  # the first stop skips the navigation
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    shot(page, "overview")
    page.get_by_role("link", name="Partners").click()
    shot(page, "partners")
    page.get_by_role("link", name="Entities").click()
    page.get_by_label("Search entities by name or id").fill(shop["name"][:20])
    page.get_by_role("button", name="Search").click()
    shot(page, "entities")
    page.get_by_role("link", name=shop["name"]).click()
    page.get_by_label("Object type").select_option("receivable")
    page.get_by_label("Status").select_option("error")
    page.get_by_role("button", name="Filter").click()
    shot(page, "entity")
    assert page.get_by_role("link", name=f"receivable {shop['stuck'][:8]}").is_visible()
    page.get_by_role("link", name=f"receivable {shop['record'][:8]}").click()
    assert page.url.endswith(f"/console/records/{shop['record']}")
    errors = page.locator("ul.errors").first.inner_text()
    assert "tax_rate_not_found" in errors and "16.00%" in errors and "Hint:" in errors

    # the fix, as the accounting system's user: a 16% rate in Xero; then sync and push from the console
    company = flows.sandbox_company(system, shop["entity"])
    httpx.post(f"{system.sandbox_url}/admin/companies/{company['id']}/taxRates", json={
        "name": "Sixteen", "code": "S16", "status": "Active", "effectiveTaxRate": 16, "totalTaxRate": 16,
        "components": [{"name": "S16", "rate": 16, "isCompound": False}]}).raise_for_status()
    before = shop["sdk"].accounting.connections.get_by_id(shop["connection"].id).last_pull
    page.get_by_role("link", name=re.compile("Konsole Kaffee")).click()
    page.get_by_role("button", name="Start a sync").click()
    assert "sync connection" in page.get_by_role("status").inner_text()
    flows.wait_pulled(shop["sdk"], shop["connection"].id, after=before)
    page.goto(f"{base}/console/records/{shop['record']}")
    page.get_by_role("button", name="Push again").click()
    outcome = page.get_by_role("status").inner_text()
    assert "push record" in outcome and "record is pending" in outcome, outcome
    _reload_until(page, '<strong class="status-done" id="sync-status">done</strong>', "the record to be done")
    story = page.locator("ol.story").inner_text()
    chapters = ("Domain event receivable.issued", "Status new → pending", "Status pending → error",
                "Status error → pending", "Push 1 to invoices", "Provider answered: pending", "Webhook",
                "Provider answered: success", "Status pending → done")
    assert [c for c in chapters if c in story] == list(chapters), story
    assert story.index("Status pending → error") < story.index("Push 1 to invoices") < story.index("Webhook")
    push = page.locator("li.chapter.push")
    push.get_by_text("Body sent").click()
    assert '"invoiceNumber"' in push.locator("pre").inner_text()
    answer = page.locator("li.chapter.answer", has_text="success")
    answer.get_by_text("Body").click()
    assert '"record_id"' in answer.locator("pre").inner_text()
    shot(page, "record")
    assert page.get_by_role("button", name="Push again").count() == 0, "a record that is done stays as it is"
    actions = db(system, "SELECT action, ok FROM operator_actions WHERE operator = $1 ORDER BY id", admin["name"])
    assert [(a["action"], a["ok"]) for a in actions] == [("sync_connection", True), ("push_record", True)]


def test_admin_replays_a_dead_letter_once_its_cause_is_fixed(system, page, admin, partner, access_token):
    entity = str(uuid.uuid4())
    counterpart = flows.counterpart(system, entity, "Zu Früh GmbH")  # before its entity: dead-lettered
    sign_in(page, system.api_url, admin)
    page.get_by_role("link", name="Dead letters").click()
    page.get_by_role("heading", name="Dead letters").wait_for()
    _reload_until(page, entity, "the dead letter to be shown")
    letter = page.locator("ol.letters > li", has_text=entity)
    assert "unknown entity" in letter.inner_text()
    shot(page, "dead-letters")
    client.publish(system.settings.amqp_url, client.cloud_event(
        "entity.created", client.entity_data(entity, partner["partner_id"], "Zu Früh GmbH"), entity))
    client.wait_for(lambda: db(system, "SELECT 1 FROM entities WHERE id = $1", uuid.UUID(entity)),
                    what="the entity to exist")
    letter.get_by_role("button", name=re.compile("Replay message")).click()
    assert "1 message(s) moved back to ledgersync.push-worker" in page.get_by_role("status").inner_text()
    client.wait_for(lambda: db(system, "SELECT 1 FROM counterparts WHERE id = $1", uuid.UUID(counterpart)),
                    what="the replayed counterpart to be mirrored")
    assert entity not in page.locator("ol.letters").inner_text()


def test_a_viewer_reads_but_cannot_act(system, page, viewer, failed_invoice):
    sign_in(page, system.api_url, viewer)
    page.goto(f"{system.api_url}/console/records/{failed_invoice['stuck']}")
    assert page.locator("#sync-status").inner_text() == "error" and "17.00%" in page.locator("ul.errors").first.inner_text()
    assert page.get_by_role("button", name="Push again").count() == 0
    page.goto(f"{system.api_url}/console/entities/{failed_invoice['entity']}")
    assert page.get_by_role("button", name="Start a sync").count() == 0
    token = csrf_token(page)
    page.goto(f"{system.api_url}/console/dead-letters")
    assert page.get_by_role("button", name=re.compile("Replay")).count() == 0
    for path in (f"/console/records/{failed_invoice['stuck']}/push",
                 f"/console/connections/{failed_invoice['connection'].id}/disconnect"):
        refused = page.request.post(system.api_url + path, form={"csrf_token": token})
        assert refused.status == 403 and "only admins can act" in refused.text()
    sdk = failed_invoice["sdk"]
    assert sdk.accounting.connections.get_by_id(failed_invoice["connection"].id).status == "connected"
    assert sdk.accounting.synced_records.get_by_id(failed_invoice["stuck"]).sync_status == "error"
    assert not db(system, "SELECT 1 FROM operator_actions WHERE operator = $1", viewer["name"])


def test_wrong_password_and_missing_csrf_token_are_refused(system, page, admin, failed_invoice):
    page.goto(f"{system.api_url}/console/login")
    page.get_by_label("Operator name").fill(admin["name"])
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    assert "Wrong name or password" in page.get_by_role("alert").inner_text()
    shot(page, "login")
    assert page.goto(f"{system.api_url}/console/").url.startswith(f"{system.api_url}/console/login")
    sign_in(page, system.api_url, admin)
    push = f"{system.api_url}/console/records/{failed_invoice['stuck']}/push"
    for form in ({}, {"csrf_token": "forged"}):
        refused = page.request.post(push, form=form)
        assert refused.status == 403 and "CSRF token is missing or wrong" in refused.text()
    login = httpx.post(f"{system.api_url}/console/login", data={"name": admin["name"], "password": admin["password"]})
    assert login.status_code == 403  # the login form has its CSRF token too


def test_admin_disconnects_after_confirming(system, page, admin, partner, access_token):
    entity, sdk = flows.register_entity(system, partner, access_token, f"Abschied {uuid.uuid4().hex[:6]} KG")
    created = sdk.accounting.connections.create()
    sign_in(page, system.api_url, admin)
    page.goto(f"{system.api_url}/console/entities/{entity}")
    page.get_by_role("link", name="Disconnect…").click()
    assert page.get_by_role("heading", name=re.compile("Disconnect Abschied")).is_visible()
    assert sdk.accounting.connections.get_by_id(created.id).status == "pending_auth", "asking changes nothing"
    page.get_by_role("button", name="Yes, disconnect").click()
    assert "connection is disconnected" in page.get_by_role("status").inner_text()
    assert sdk.accounting.connections.get_by_id(created.id).status == "disconnected"


def test_a_records_story_shows_the_webhooks_sent_to_the_partner_without_their_secrets(
        system, page, admin, access_token, failed_invoice):
    headers = {"Authorization": f"Bearer {access_token}", "X-Monite-Version": client.VERSION}
    target = f"http://127.0.0.1:{free_port()}/hooks?token=s3cret-in-the-url"  # nobody listens there
    subscription = httpx.post(f"{system.api_url}/v1/webhook_subscriptions", headers=headers, json={
        "object_type": "accounting_synced_record", "url": target}).raise_for_status().json()
    try:
        sign_in(page, system.api_url, admin)
        page.goto(f"{system.api_url}/console/records/{failed_invoice['stuck']}")
        page.get_by_role("button", name="Push again").click()  # error → pending → error, both announced
        outcome = page.get_by_role("status").inner_text()  # the action's answer page, loaded before reloading it
        assert "push record" in outcome, outcome
        _reload_until(page, "Partner webhook accounting_synced_record.error", "the partner webhooks to be shown")
        story = page.locator("ol.story").inner_text()
        assert f"accounting_synced_record.pending to {target.split('?')[0]}" in story
        assert "s3cret" not in page.content() and subscription["secret"] not in page.content()
        page.get_by_role("link", name="Overview").click()
        waiting = page.get_by_role("region", name="Webhooks to partners").inner_text()
        assert re.search(r"Deliveries waiting\t[1-9]", waiting), waiting
        assert "s3cret" not in page.content() and subscription["secret"] not in page.content()
    finally:
        httpx.delete(f"{system.api_url}/v1/webhook_subscriptions/{subscription['id']}", headers=headers)
