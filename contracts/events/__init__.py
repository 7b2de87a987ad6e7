"""CloudEvents in (domain events) and out (ledgersync's own events)."""
from contracts.events.domain import (
                                     DOMAIN_EVENT_TYPES,
                                     Address,
                                     CounterpartData,
                                     CreditNoteData,
                                     EntityData,
                                     EntitySettings,
                                     PayableData,
                                     PayableLineItem,
                                     PaymentObject,
                                     PaymentRecordData,
                                     Price,
                                     ProductData,
                                     ReceivableData,
                                     ReceivableLineItem,
)
from contracts.events.envelope import CloudEvent, envelope_model, envelope_name
from contracts.events.outbound import (
                                     LEDGERSYNC_SOURCE,
                                     OUTBOUND_EVENT_TYPES,
                                     ConnectionStatusChangedData,
                                     ProductDiscoveredData,
                                     SyncedRecordStatusChangedData,
)
from contracts.events.parsing import load_object, make_event, parse_domain_event

__all__ = [
    "DOMAIN_EVENT_TYPES", "OUTBOUND_EVENT_TYPES", "LEDGERSYNC_SOURCE",
    "CloudEvent", "envelope_model", "envelope_name", "parse_domain_event", "load_object", "make_event",
    "EntityData", "EntitySettings", "CounterpartData", "Address", "ProductData", "Price",
    "ReceivableData", "ReceivableLineItem", "CreditNoteData", "PaymentRecordData", "PaymentObject",
    "PayableData", "PayableLineItem",
    "ConnectionStatusChangedData", "SyncedRecordStatusChangedData", "ProductDiscoveredData",
]
