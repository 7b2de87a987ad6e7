"""API request and response bodies, wire-compatible with the `monite` SDK 0.5.4, and the
route table. `from contracts.api import X` works for every public name."""
from contracts.api.accounts import (AccountingTaxRateList, AccountingTaxRateListResponse,
                                    AccountingTaxRateResponse, CursorListQuery, LedgerAccountList,
                                    LedgerAccountListResponse, LedgerAccountResponse,
                                    LedgerAccountStatus, LedgerAccountType, TaxComponent)
from contracts.api.auth import (AccessTokenResponse, AuthTokenRequest, ClientCredentialsGrant,
                                EntityUserGrant, RevokeTokenRequest)
from contracts.api.common import (ConnectionStatus, ErrorBody, ErrorDetail, HealthResponse,
                                  MessageResponse, Order, Platform, ReadinessResponse,
                                  ServiceProvider, SyncObjectType, SyncStatus,
                                  ValidationErrorBody, ValidationErrorItem)
from contracts.api.connections import (AccountingConnectionError, AccountingConnectionList,
                                       AccountingConnectionResponse, BusinessInfo,
                                       ConnectionError, CreateConnectionRequest, DataPull,
                                       DataPullQuery, DataPullResponse)
from contracts.api.documents import (AccountingCustomerRefObject, AccountingLineItem,
                                     AccountingPayable, AccountingPayableList,
                                     AccountingPayableStatus, AccountingPurchaseOrderRef,
                                     AccountingReceivable, AccountingReceivableList,
                                     AccountingRefObject, AccountingVendorRefObject,
                                     OffsetListQuery)
from contracts.api.partner_webhooks import (EventListQuery, EventPaginationResource,
                                            EventResource, WebhookDeliveryAttempt,
                                            WebhookDeliveryListQuery,
                                            WebhookDeliveryPaginationResource,
                                            WebhookDeliveryResource, WebhookEvent,
                                            WebhookSubscriptionCreate,
                                            WebhookSubscriptionListQuery,
                                            WebhookSubscriptionPaginationResource,
                                            WebhookSubscriptionResource,
                                            WebhookSubscriptionResourceWithSecret,
                                            WebhookSubscriptionUpdate)
from contracts.api.routes import API_PREFIX, ROUTES, Route, route
from contracts.api.settings import (AccountingSettings, AccountingSettingsPayload,
                                    DefaultAccountingTaxIDs, DefaultLedgerAccountIDs,
                                    EntitySettingsAccounting, EntitySettingsResponse)
from contracts.api.synced_records import (SyncedRecordListQuery, SyncErrorItem, SyncRecordList,
                                          SyncRecordResource, SyncRecordResourceList)

__all__ = [name for name in dir() if not name.startswith("_") and name not in {
    "ConnectionError", "accounts", "auth", "common", "connections", "documents",
    "partner_webhooks", "routes",
    "settings", "synced_records"}]
