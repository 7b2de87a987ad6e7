"""Display names of accounting platforms, for the messages people read (pure)."""
from __future__ import annotations

NAMES = {"xero": "Xero", "quickbooks_online": "QuickBooks Online",
         "quickbooks_online_sandbox": "QuickBooks Online Sandbox", "quickbooks": "QuickBooks"}


def platform_name(connection) -> str:
    """The connection's platform as people call it ("QuickBooks Online"), or a neutral phrase."""
    return NAMES.get(connection["platform"] or "", "the accounting system")
