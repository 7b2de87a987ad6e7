"""The integration catalogue the sandbox offers (``GET /integrations``)."""
from __future__ import annotations

import re
from dataclasses import dataclass

READ_TYPES = ("chartOfAccounts", "taxRates", "customers", "suppliers", "items",
              "invoices", "bills", "creditNotes", "payments", "billPayments")
WRITE_TYPES = ("invoices", "customers", "suppliers", "creditNotes", "payments", "bills", "items")


@dataclass(frozen=True)
class Integration:
    key: str
    name: str
    integration_id: str
    source_id: str

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_")

    def to_codat(self, base_url: str) -> dict:
        features = [{"datatype": dt, "supportedFeatures": [
            {"featureType": feature, "featureState": "Release"}
            for feature in (("Get", "Post") if dt in WRITE_TYPES else ("Get",))]}
            for dt in READ_TYPES]
        return {
            "key": self.key,
            "logoUrl": f"{base_url}/static/logos/{self.key}.svg",
            "name": self.name,
            "enabled": True,
            "sourceId": self.source_id,
            "sourceType": "Accounting",
            "integrationId": self.integration_id,
            "isOfflineConnector": False,
            "isBeta": False,
            "dataProvidedBy": "Codat sandbox",
            "datatypeFeatures": features,
        }


INTEGRATIONS: tuple[Integration, ...] = (
    Integration("gbol", "Xero", "8a156a5a-39cb-4f9d-856e-76ef9b9a1607",
                "0c6e4d8e-3f5b-4a5e-9b0f-1f0c2a4d6e01"),
    Integration("qhyg", "QuickBooks Online", "0f20c943-12d0-4800-9f6c-d218f62d494c",
                "0c6e4d8e-3f5b-4a5e-9b0f-1f0c2a4d6e02"),
    Integration("ndvw", "QuickBooks Online Sandbox", "a3f5b3e1-5c2a-4d8e-9f3b-7e6d1c2b4a09",
                "0c6e4d8e-3f5b-4a5e-9b0f-1f0c2a4d6e03"),
)


def by_key(key: str) -> Integration | None:
    return next((i for i in INTEGRATIONS if i.key == key), None)


def find_platform(text: str) -> Integration | None:
    """The integration a user or client named: display name, 4-letter key or slug (any case)."""
    wanted = text.strip().lower()
    for integration in INTEGRATIONS:
        if wanted in (integration.key, integration.name.lower(), integration.slug):
            return integration
    return None
