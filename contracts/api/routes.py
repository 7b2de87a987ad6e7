"""Every HTTP route of the API service, as data: the OpenAPI document and the app's tests
are both derived from this table."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from contracts.api import accounts as acc
from contracts.api import auth, settings
from contracts.api import connections as conn
from contracts.api import documents as docs
from contracts.api import partner_webhooks as wh
from contracts.api import synced_records as sr
from contracts.api.common import HealthResponse, MessageResponse, ReadinessResponse

API_PREFIX = "/v1"
PATH_PARAM_SCHEMAS: dict[str, dict[str, Any]] = {
    "connection_id": {"type": "string", "format": "uuid"},
    "synced_record_id": {"type": "string", "format": "uuid"},
    "entity_id": {"type": "string", "format": "uuid"},
    "tax_rate_id": {"type": "string", "pattern": "^[^\\x00]*$"},
    "ledger_account_id": {"type": "string", "pattern": "^[^\\x00]*$"},
    "invoice_id": {"type": "string", "pattern": "^[^\\x00]*$"},
    "payable_id": {"type": "string", "pattern": "^[^\\x00]*$"},
    "webhook_subscription_id": {"type": "string", "format": "uuid"},
    "event_id": {"type": "string", "format": "uuid"},
}


@dataclass(frozen=True)
class Route:
    """One route. `errors` lists the error statuses its own logic may answer (409 for a
    state conflict, 502/503 for a provider call, …); `error_statuses` adds those that follow
    from its shape (bodies by status: 422 `ValidationErrorBody`, the rest `ErrorBody`).
    `entity_scoped`: requires `X-Monite-Entity-Id`; `versioned`: requires `X-Monite-Version`;
    `authenticated`: requires a bearer token. `response` None means a non-JSON or free-form
    body."""

    method: str
    path: str
    operation_id: str
    summary: str
    tags: tuple[str, ...]
    response: type[BaseModel] | None
    status: int = 200
    query: type[BaseModel] | None = None
    request: type[BaseModel] | None = None
    request_required: bool = True
    errors: tuple[int, ...] = ()
    entity_scoped: bool = True
    authenticated: bool = True
    versioned: bool = True
    media_type: str = "application/json"

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))

    @property
    def error_statuses(self) -> tuple[int, ...]:
        """Every error status the route can answer, in order."""
        found = set(self.errors)
        if self.path.startswith(API_PREFIX):
            found.add(503)                   # the database or the broker is away for a moment
        if self.authenticated:
            found.add(401)                   # missing, bad, expired or revoked token
        if self.versioned or self.query or self.path_params:
            found.add(422)                   # missing header, bad parameter
        if self.entity_scoped or self.path_params:
            found |= {404, 422}              # unknown (or another partner's) entity or object
        if self.request:
            found |= {400, 413, 415, 422}    # not JSON, too large, not application/json, invalid
        return tuple(sorted(found))


def _v1(method: str, path: str, operation_id: str, summary: str, tag: str, response, **kw) -> Route:
    return Route(method, API_PREFIX + path, operation_id, summary, (tag,), response, **kw)


def _ops(path: str, operation_id: str, summary: str, response, **kw) -> Route:
    return Route("GET", path, operation_id, summary, ("Operations",), response,
                 entity_scoped=False, authenticated=False, versioned=False, **kw)


_AUTH = dict(errors=(401,), entity_scoped=False, authenticated=False)  # 401: bad credentials
_PROVIDER = (502, 503)  # the route calls the provider: it refused (502) or is unavailable (503)
_CONN = "/accounting_connections"
_SR = "/accounting_synced_records"
_WS = "/webhook_subscriptions"
_WS1 = _WS + "/{webhook_subscription_id}"
_PARTNER = dict(entity_scoped=False)  # partner-scoped: an entity header is accepted and ignored
_WST = "Webhook subscriptions"

ROUTES: tuple[Route, ...] = (
    _v1("POST", "/auth/token", "post_auth_token", "Create an access token", "Access tokens",
        auth.AccessTokenResponse, request=auth.AuthTokenRequest, **_AUTH),
    _v1("POST", "/auth/revoke", "post_auth_revoke", "Revoke an access token", "Access tokens",
        MessageResponse, request=auth.RevokeTokenRequest, **_AUTH),
    _v1("GET", _CONN, "get_accounting_connections", "List accounting connections",
        "Accounting connections", conn.AccountingConnectionList),
    _v1("POST", _CONN, "post_accounting_connections", "Create an accounting connection",
        "Accounting connections", conn.AccountingConnectionResponse, status=201,
        request=conn.CreateConnectionRequest, request_required=False, errors=(409, *_PROVIDER)),
    _v1("GET", _CONN + "/{connection_id}", "get_accounting_connections_id",
        "Get an accounting connection", "Accounting connections",
        conn.AccountingConnectionResponse),
    _v1("POST", _CONN + "/{connection_id}/disconnect", "post_accounting_connections_id_disconnect",
        "Disconnect an accounting connection", "Accounting connections",
        conn.AccountingConnectionResponse, errors=_PROVIDER),
    _v1("POST", _CONN + "/{connection_id}/sync", "post_accounting_connections_id_sync",
        "Start a data sync of a connection", "Accounting connections", MessageResponse,
        status=202, errors=(409,)),
    _v1("POST", _CONN + "/{connection_id}/data_pulls", "post_accounting_connections_id_data_pulls",
        "Start a data pull (older API versions)", "Accounting connections",
        conn.DataPullResponse, status=202, query=conn.DataPullQuery, errors=(409,)),
    _v1("GET", _SR, "get_accounting_synced_records", "List synced records",
        "Accounting synced records", sr.SyncRecordList, query=sr.SyncedRecordListQuery),
    _v1("GET", _SR + "/{synced_record_id}", "get_accounting_synced_records_id",
        "Get a synced record", "Accounting synced records", sr.SyncRecordResource),
    _v1("POST", _SR + "/{synced_record_id}/push", "post_accounting_synced_records_id_push",
        "Push the record's object to the accounting system again", "Accounting synced records",
        sr.SyncRecordResource, errors=(409,)),
    _v1("GET", "/accounting_tax_rates", "get_accounting_tax_rates", "List tax rates",
        "Accounting tax rates", acc.AccountingTaxRateList, query=acc.CursorListQuery),
    _v1("GET", "/accounting_tax_rates/{tax_rate_id}", "get_accounting_tax_rates_id",
        "Get a tax rate", "Accounting tax rates", acc.AccountingTaxRateResponse),
    _v1("GET", "/ledger_accounts", "get_ledger_accounts", "List ledger accounts",
        "Ledger accounts", acc.LedgerAccountList, query=acc.CursorListQuery),
    _v1("GET", "/ledger_accounts/{ledger_account_id}", "get_ledger_accounts_id",
        "Get a ledger account", "Ledger accounts", acc.LedgerAccountResponse),
    _v1("GET", "/accounting/receivables", "get_accounting_receivables",
        "List invoices in the accounting system", "Accounting receivables",
        docs.AccountingReceivableList, query=docs.OffsetListQuery),
    _v1("GET", "/accounting/receivables/{invoice_id}", "get_accounting_receivables_id",
        "Get an invoice in the accounting system", "Accounting receivables",
        docs.AccountingReceivable),
    _v1("GET", "/accounting/payables", "get_accounting_payables",
        "List bills in the accounting system", "Accounting payables",
        docs.AccountingPayableList, query=docs.OffsetListQuery),
    _v1("GET", "/accounting/payables/{payable_id}", "get_accounting_payables_id",
        "Get a bill in the accounting system", "Accounting payables", docs.AccountingPayable),
    _v1("GET", "/entities/{entity_id}/settings", "get_entities_id_settings",
        "Get an entity's accounting settings", "Entity settings",
        settings.EntitySettingsResponse, entity_scoped=False),
    _v1("PATCH", "/entities/{entity_id}/settings", "patch_entities_id_settings",
        "Change an entity's accounting settings", "Entity settings",
        settings.EntitySettingsResponse, request=settings.AccountingSettingsPayload,
        entity_scoped=False),
    _v1("GET", _WS, "get_webhook_subscriptions", "List webhook subscriptions", _WST,
        wh.WebhookSubscriptionPaginationResource, query=wh.WebhookSubscriptionListQuery, **_PARTNER),
    _v1("POST", _WS, "post_webhook_subscriptions", "Subscribe to webhooks (the secret is returned "
        "only here and by regenerate_secret)", _WST, wh.WebhookSubscriptionResourceWithSecret,
        status=201, request=wh.WebhookSubscriptionCreate, **_PARTNER),
    _v1("GET", _WS1, "get_webhook_subscriptions_id", "Get a webhook subscription", _WST,
        wh.WebhookSubscriptionResource, **_PARTNER),
    _v1("PATCH", _WS1, "patch_webhook_subscriptions_id", "Change a webhook subscription's URL, "
        "object type or events", _WST, wh.WebhookSubscriptionResource,
        request=wh.WebhookSubscriptionUpdate, request_required=False, **_PARTNER),
    _v1("DELETE", _WS1, "delete_webhook_subscriptions_id", "Delete a webhook subscription", _WST,
        None, status=204, **_PARTNER),
    _v1("POST", _WS1 + "/disable", "post_webhook_subscriptions_id_disable",
        "Disable a webhook subscription (events raised meanwhile are not delivered)", _WST,
        wh.WebhookSubscriptionResource, **_PARTNER),
    _v1("POST", _WS1 + "/enable", "post_webhook_subscriptions_id_enable",
        "Enable a webhook subscription", _WST, wh.WebhookSubscriptionResource, **_PARTNER),
    _v1("POST", _WS1 + "/regenerate_secret", "post_webhook_subscriptions_id_regenerate_secret",
        "Replace the signing secret (the old one stops at once)", _WST,
        wh.WebhookSubscriptionResourceWithSecret, **_PARTNER),
    _v1("GET", "/webhook_deliveries", "get_webhook_deliveries", "List webhook deliveries and "
        "their attempts", "Webhook deliveries", wh.WebhookDeliveryPaginationResource,
        query=wh.WebhookDeliveryListQuery),
    _v1("GET", "/events", "get_events", "List the entity's events (to fetch missed webhooks)",
        "Events", wh.EventPaginationResource, query=wh.EventListQuery),
    _v1("GET", "/events/{event_id}", "get_events_id", "Get an event", "Events", wh.EventResource),
    _ops("/healthz", "get_healthz", "The process is alive", HealthResponse),
    _ops("/readyz", "get_readyz", "The process can do its work: database, broker, consumers "
         "(503 if not)", ReadinessResponse, errors=(503,)),
    _ops("/metrics", "get_metrics", "Prometheus metrics", None,
         media_type="text/plain; version=0.0.4"),
    _ops("/openapi.json", "get_openapi", "This OpenAPI document", None),
)


def route(operation_id: str) -> Route:
    """The route with this `operation_id` (`KeyError` if none)."""
    for candidate in ROUTES:
        if candidate.operation_id == operation_id:
            return candidate
    raise KeyError(operation_id)
