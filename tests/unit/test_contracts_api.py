"""API bodies against the official `monite` SDK 0.5.4: same fields, and the SDK parses our JSON.

The SDK is driven through an httpx mock transport that checks each request against
`contracts.api.ROUTES` (path, headers, query, body) and answers with our response models.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

import httpx
import monite.types as sdk
import pytest
from monite import Monite
from monite.core.pydantic_utilities import parse_obj_as
from pydantic import BaseModel

from contracts import api

NOW = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
ENTITY = "9d2b4c8f-2087-4738-ba91-7359683c49a4"
CONNECTION = api.AccountingConnectionResponse(
    id=uuid.uuid4(), created_at=NOW, updated_at=NOW, connection_url="https://link.example/c/1",
    status="connected", platform="xero", last_pull=NOW,
    business_info=api.BusinessInfo(base_currency="EUR", legal_name="Acme GmbH", name="Acme"),
    errors=[api.AccountingConnectionError(message="token refresh failed")])
RECORD = api.SyncRecordResource(
    id=uuid.uuid4(), created_at=NOW, updated_at=NOW, last_pulled_at=NOW, object_id=uuid.uuid4(),
    object_type="receivable", sync_status="error", platform="xero", provider="codat",
    platform_object_id="inv-9", provider_object_id="op-1", object_updated_at=NOW,
    errors={"code": "tax_rate_not_found", "message": "No tax rate of 19.00% exists in Xero",
            "hint": "Create it in Xero and push again"})
TAX_RATE = api.AccountingTaxRateResponse(
    id="tr-1", code="OUTPUT2", name="VAT 19%", status="Active", effective_tax_rate=1900,
    total_tax_rate=1900, components=[api.TaxComponent(name="VAT", rate=1900, is_compound=False)])
LEDGER = api.LedgerAccountResponse(id="la-1", currency="EUR", current_balance=1050,
                                   description="Sales", is_bank_account=False, name="Sales",
                                   nominal_code="4000", status="Active", subtype="Revenue",
                                   type="Income")
LINE = api.AccountingLineItem(description="Consulting", quantity=1.5, unit_amount=100.0,
                              discount_amount=0.0, discount_percentage=0.0,
                              ledger_account_id="la-1", tax_rate_ref=api.AccountingRefObject(id="tr-1"))
RECEIVABLE = api.AccountingReceivable(
    id="inv-9", currency="EUR", currency_rate=1.0, invoice_number="INV-42", due_date="2026-12-20",
    posted_date="2026-11-20", memo="Thanks", lines=[LINE], pass_through={"x": 1},
    customer_ref=api.AccountingCustomerRefObject(id="cu-1", company_name="Globex"))
PAYABLE = api.AccountingPayable(
    id="bill-1", amount_due=178.5, currency="EUR", currency_rate=1.0, due_date="2026-12-19",
    invoice_number="B-7", lines=[LINE], memo=None, posted_date="2026-11-19", status="open",
    subtotal=150.0, tax_amount=28.5, total_amount=178.5,
    purchase_order_refs=[api.AccountingPurchaseOrderRef(id="po-1", name="PO-1")],
    vendor_ref=api.AccountingVendorRefObject(id="su-1", name="Paper Inc"))
SUBSCRIPTION = api.WebhookSubscriptionResource(
    id=uuid.uuid4(), event_types=["connected"], object_type="accounting_connection", status="enabled",
    url="https://hooks.example.com/monite", created_at=NOW, updated_at=NOW)
WITH_SECRET = api.WebhookSubscriptionResourceWithSecret(**SUBSCRIPTION.model_dump(), secret="whsec_x")
EVENT = api.EventResource(id=uuid.uuid4(), created_at=NOW, action="accounting_connection.connected",
                          description="Accounting connection c is now connected", entity_id=ENTITY,
                          object={"id": "c"}, object_type="accounting_connection")
DELIVERY = api.WebhookDeliveryResource(
    id=uuid.uuid4(), event_id=EVENT.id, requests_made_count=2, response="ok", response_status_code=200,
    url=SUBSCRIPTION.url, was_successful=True, status="delivered", webhook_subscription_id=SUBSCRIPTION.id,
    object_type="accounting_connection", event_action=EVENT.action, created_at=NOW, updated_at=NOW,
    attempts=[api.WebhookDeliveryAttempt(attempt=1, started_at=NOW, duration_ms=12, url=SUBSCRIPTION.url,
                                         status_code=503, error="busy")])
SETTINGS = api.EntitySettingsResponse(accounting=api.AccountingSettings(
    ledger_account_ids=api.DefaultLedgerAccountIDs(payments="la-9", products="la-1"),
    tax_ids=api.DefaultAccountingTaxIDs(deductions="tr-1")))

EXAMPLES: dict[type[BaseModel], BaseModel] = {
    api.AccessTokenResponse: api.AccessTokenResponse(access_token="t0k", expires_in=1800),
    api.MessageResponse: api.MessageResponse(message="Started connection data sync."),
    api.AccountingConnectionResponse: CONNECTION,
    api.AccountingConnectionList: api.AccountingConnectionList(data=[CONNECTION]),
    api.SyncRecordResource: RECORD,
    api.SyncRecordList: api.SyncRecordList(data=[RECORD], next_pagination_token="n"),
    api.AccountingTaxRateResponse: TAX_RATE,
    api.AccountingTaxRateList: api.AccountingTaxRateList(data=[TAX_RATE]),
    api.LedgerAccountResponse: LEDGER,
    api.LedgerAccountList: api.LedgerAccountList(data=[LEDGER], prev_pagination_token="p"),
    api.AccountingReceivable: RECEIVABLE,
    api.AccountingReceivableList: api.AccountingReceivableList(data=[RECEIVABLE]),
    api.AccountingPayable: PAYABLE,
    api.AccountingPayableList: api.AccountingPayableList(data=[PAYABLE]),
    api.EntitySettingsResponse: SETTINGS,
    api.WebhookSubscriptionResource: SUBSCRIPTION,
    api.WebhookSubscriptionResourceWithSecret: WITH_SECRET,
    api.WebhookSubscriptionPaginationResource: api.WebhookSubscriptionPaginationResource(
        data=[SUBSCRIPTION], next_pagination_token="n"),
    api.EventResource: EVENT,
    api.EventPaginationResource: api.EventPaginationResource(data=[EVENT]),
    api.WebhookDeliveryPaginationResource: api.WebhookDeliveryPaginationResource(data=[DELIVERY]),
}
PAIRS = [  # ours → the SDK's type
    (api.AccessTokenResponse, sdk.AccessTokenResponse), (api.MessageResponse, sdk.MessageResponse),
    (api.MessageResponse, sdk.AccountingMessageResponse),
    (api.AccountingConnectionResponse, sdk.AccountingConnectionResponse),
    (api.AccountingConnectionList, sdk.AccountingConnectionList),
    (api.BusinessInfo, sdk.BusinessInfoSchema), (api.AccountingConnectionError, sdk.ErrorSchema),
    (api.SyncRecordResource, sdk.SyncRecordResource), (api.SyncRecordList, sdk.SyncRecordResourceList),
    (api.AccountingTaxRateResponse, sdk.AccountingTaxRateResponse),
    (api.AccountingTaxRateList, sdk.AccountingTaxRateListResponse),
    (api.TaxComponent, sdk.TaxComponentResponse),
    (api.LedgerAccountResponse, sdk.LedgerAccountResponse),
    (api.LedgerAccountList, sdk.LedgerAccountListResponse),
    (api.AccountingReceivable, sdk.AccountingReceivable),
    (api.AccountingReceivableList, sdk.AccountingReceivableList),
    (api.AccountingPayable, sdk.AccountingPayable), (api.AccountingPayableList, sdk.AccountingPayableList),
    (api.AccountingLineItem, sdk.AccountingLineItem), (api.AccountingRefObject, sdk.AccountingRefObject),
    (api.AccountingCustomerRefObject, sdk.AccountingCustomerRefObject),
    (api.AccountingVendorRefObject, sdk.AccountingVendorRefObject),
    (api.AccountingPurchaseOrderRef, sdk.AccountingPurchaseOrderRef),
    (api.AccountingSettings, sdk.AccountingSettings),
    (api.DefaultLedgerAccountIDs, sdk.DefaultLedgerAccountIDs),
    (api.DefaultAccountingTaxIDs, sdk.DefaultAccountingTaxIDs),
    (api.ErrorBody, sdk.ErrorSchemaResponse), (api.ValidationErrorBody, sdk.HttpValidationError),
    (api.ValidationErrorItem, sdk.ValidationError),
]
SUPERSETS = [  # ours carry more than the SDK's type (it allows extra fields)
    (api.WebhookSubscriptionResource, sdk.WebhookSubscriptionResource),
    (api.WebhookSubscriptionResourceWithSecret, sdk.WebhookSubscriptionResourceWithSecret),
    (api.WebhookSubscriptionPaginationResource, sdk.WebhookSubscriptionPaginationResource),
    (api.EventResource, sdk.EventResource), (api.EventPaginationResource, sdk.EventPaginationResource),
    (api.WebhookEvent, sdk.EventResourceForWebhookClient),
    (api.WebhookDeliveryResource, sdk.WebhookDeliveryResource),
    (api.WebhookDeliveryPaginationResource, sdk.WebhookDeliveryPaginationResource),
]


def _required(model) -> set[str]:
    return {name for name, field in model.model_fields.items() if field.is_required()}


def _always_sent(model) -> set[str]:
    """Required, or defaulting to a value that is not null (so always in our JSON)."""
    return {name for name, field in model.model_fields.items()
            if field.is_required() or field.get_default(call_default_factory=True) is not None}


@pytest.mark.parametrize("ours, theirs", PAIRS, ids=lambda m: m.__name__)
def test_same_fields_as_the_sdk_and_every_required_one(ours, theirs):
    assert set(ours.model_fields) == set(theirs.model_fields)
    assert _required(theirs) <= _always_sent(ours)


@pytest.mark.parametrize("ours, theirs", SUPERSETS, ids=lambda m: m.__name__)
def test_every_sdk_field_and_every_required_one(ours, theirs):
    assert set(theirs.model_fields) <= set(ours.model_fields)
    assert _required(theirs) <= _always_sent(ours)


def test_settings_response_carries_the_sdk_accounting_field():
    assert set(api.EntitySettingsResponse.model_fields) <= set(sdk.SettingsResponse.model_fields)


@pytest.mark.parametrize("model", list(EXAMPLES), ids=lambda m: m.__name__)
def test_the_sdk_parses_our_json(model):
    body = json.loads(json.dumps(EXAMPLES[model].model_dump(mode="json")))
    theirs = {ours: sdk_type for ours, sdk_type in PAIRS + SUPERSETS}.get(model, sdk.SettingsResponse)
    parsed = parse_obj_as(theirs, body)
    assert theirs.model_validate(body) == parsed
    dumped = parsed.model_dump(mode="json")
    for key, value in body.items():
        if not isinstance(value, (dict, list)) and key in dumped:
            assert str(dumped[key]).replace("Z", "+00:00") == str(value).replace("Z", "+00:00")


def test_error_bodies():
    assert api.ErrorBody.of("nope").model_dump() == {"error": {"message": "nope"}}
    body = {"detail": [{"loc": ["query", "limit"], "msg": "too big", "type": "less_than_equal"}]}
    assert api.ValidationErrorBody.model_validate(body).model_dump() == body


def test_auth_token_request_is_discriminated_on_grant_type():
    grant = api.AuthTokenRequest.model_validate(
        {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}).root
    assert isinstance(grant, api.ClientCredentialsGrant)
    grant = api.AuthTokenRequest.model_validate({"grant_type": "entity_user", "client_id": "c",
                                                 "client_secret": "s", "entity_user_id": "u"}).root
    assert isinstance(grant, api.EntityUserGrant)
    with pytest.raises(ValueError):
        api.AuthTokenRequest.model_validate({"grant_type": "entity_user", "client_id": "c",
                                             "client_secret": "s"})
    with pytest.raises(ValueError):
        api.AuthTokenRequest.model_validate({"grant_type": "password", "client_id": "c",
                                             "client_secret": "s"})


def test_synced_record_query_defaults_and_limits():
    query = api.SyncedRecordListQuery.model_validate({"object_type": "credit_note"})
    assert (query.order, query.limit, query.sort) == ("asc", 100, None)
    for bad in ({}, {"object_type": "invoice"}, {"object_type": "bill", "limit": 251},
                {"object_type": "bill", "order": "up"}, {"object_type": "bill", "sort": "name"}):
        with pytest.raises(ValueError):
            api.SyncedRecordListQuery.model_validate(bad)
    query = api.SyncedRecordListQuery.model_validate(
        {"object_type": "bill", "limit": "0", "created_at__gte": "2026-11-20T10:00:00"})
    assert query.limit == 0 and query.created_at__gte == NOW


class FakeApi:
    """An httpx transport that plays our API from the route table, checking every request."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.bodies: dict[str, list[BaseModel]] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        route, match = self._route(request)
        headers = request.headers
        assert headers.get("x-monite-version") == "2024-05-25"
        if route.authenticated:
            assert headers.get("authorization") == "Bearer t0k"
        if route.entity_scoped:
            assert headers.get("x-monite-entity-id") == ENTITY
        if route.query:
            params = {key: request.url.params.get_list(key) if key.endswith("__in")
                      else request.url.params[key] for key in request.url.params.keys()}
            route.query.model_validate(params)
        if route.request and (request.content or route.request_required):
            body = route.request.model_validate_json(request.content)
            self.bodies.setdefault(route.operation_id, []).append(body)
        self.hits.append(route.operation_id)
        if route.response is None:
            return httpx.Response(route.status)
        body = EXAMPLES[route.response].model_dump(mode="json")
        return httpx.Response(route.status, json=body)

    @staticmethod
    def _route(request: httpx.Request):
        for route in api.ROUTES:
            pattern = re.sub(r"{\w+}", r"[^/]+", route.path) + "$"
            if route.method == request.method and re.match(pattern, request.url.path):
                return route, pattern
        raise AssertionError(f"no route for {request.method} {request.url.path}")


@pytest.fixture()
def fake():
    return FakeApi()


@pytest.fixture()
def client(fake):
    return Monite(base_url="http://ledgersync.test/v1", monite_version="2024-05-25",
                  monite_entity_id=ENTITY, token="t0k",
                  httpx_client=httpx.Client(transport=httpx.MockTransport(fake)))


def test_the_sdk_drives_every_v1_route(client, fake):
    rid, cid = str(uuid.uuid4()), str(uuid.uuid4())
    token = client.access_tokens.create(grant_type="client_credentials", client_id="c",
                                        client_secret="s")
    assert token.token_type == "Bearer" and token.expires_in == 1800
    client.access_tokens.create(grant_type="entity_user", client_id="c", client_secret="s",
                                entity_user_id="u-1")
    client.access_tokens.revoke(client_id="c", client_secret="s", token="t0k")
    acc = client.accounting
    assert acc.connections.get().data[0].status == "connected"
    assert acc.connections.create().connection_url.startswith("https://")
    acc.connections.get_by_id(cid)
    acc.connections.disconnect_by_id(cid)
    assert acc.connections.sync_by_id(cid).message.startswith("Started")
    page = acc.synced_records.get(object_type="receivable", order="desc", limit=10,
                                  sort="updated_at", object_id=rid, object_id_in=[rid, cid],
                                  created_at_gt=NOW, updated_at_lte=NOW)
    assert page.data[0].sync_status == "error" and page.next_pagination_token == "n"
    acc.synced_records.get(object_type="bill", pagination_token="n", limit=5)
    acc.synced_records.get_by_id(rid)
    acc.synced_records.push_by_id(rid)
    assert acc.tax_rates.get(sort="name", order="asc", limit=250).data[0].total_tax_rate == 1900
    acc.tax_rates.get_by_id("tr-1")
    assert acc.ledger_accounts.get().data[0].is_bank_account is False
    acc.ledger_accounts.get_by_id("la-1")
    assert acc.receivables.get(limit=10, offset=20).data[0].customer_ref.id == "cu-1"
    acc.receivables.get_by_id("inv-9")
    assert acc.payables.get().data[0].status == "open"
    acc.payables.get_by_id("bill-1")
    assert client.entities.get_settings_by_id(ENTITY).accounting.ledger_account_ids.payments == "la-9"
    client.entities.update_settings_by_id(ENTITY, accounting=sdk.AccountingSettings(
        ledger_account_ids=sdk.DefaultLedgerAccountIDs(payments="la-9")))
    [patch] = fake.bodies["patch_entities_id_settings"]
    assert patch.accounting.ledger_account_ids.payments == "la-9"
    hooks = client.webhook_subscriptions
    assert hooks.get(order="desc", limit=5, sort="updated_at", object_type="accounting_connection",
                     created_at_gte=NOW).next_pagination_token == "n"
    assert hooks.create(object_type="accounting_connection", url="https://h.example/",
                        event_types=["connected"]).secret == "whsec_x"
    hooks.create(object_type="accounting_synced_record", url="https://h.example/")
    sid = str(SUBSCRIPTION.id)
    assert hooks.get_by_id(sid).status == "enabled"
    hooks.update_by_id(sid, url="https://h2.example/")
    hooks.delete_by_id(sid)
    hooks.disable_by_id(sid)
    hooks.enable_by_id(sid)
    assert hooks.regenerate_secret_by_id(sid).secret == "whsec_x"
    assert client.webhook_deliveries.get(event_id=str(EVENT.id), object_type="accounting_connection",
                                         event_action="connected", created_at_lt=NOW,
                                         sort="created_at").data[0].requests_made_count == 2
    assert client.events.get(object_type="accounting_connection", limit=1).data[0].id == str(EVENT.id)
    assert client.events.get_by_id(str(EVENT.id)).action == "accounting_connection.connected"
    assert fake.bodies["patch_webhook_subscriptions_id"][0].model_dump(exclude_none=True) == {
        "url": "https://h2.example/"}
    grants = [type(body.root) for body in fake.bodies["post_auth_token"]]
    assert grants == [api.ClientCredentialsGrant, api.EntityUserGrant]
    assert fake.bodies["post_auth_revoke"][0].token == "t0k"
    v1 = {r.operation_id for r in api.ROUTES if r.path.startswith("/v1")}
    assert v1 - set(fake.hits) == {"post_accounting_connections_id_data_pulls"}
