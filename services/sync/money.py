"""Money between the provider's decimals and our integer minor units (pure)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

ZERO_DECIMAL = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
                "VUV", "XAF", "XOF", "XPF"}
THREE_DECIMAL = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


class TotalsMismatch(ValueError):
    """Raised when a document's lines cannot add up to its totals (an upstream bug)."""


def exponent(currency: str | None) -> int:
    code = (currency or "").upper()
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def to_minor(amount, currency: str | None) -> int | None:
    """12.345 EUR → 1235 (half up); None stays None."""
    if amount is None:
        return None
    scale = Decimal(10) ** exponent(currency)
    return int((Decimal(str(amount)) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_major(minor: int, currency: str | None) -> Decimal:
    """1235 EUR → Decimal('12.35'): exact, for the provider's JSON numbers."""
    return (Decimal(minor) / (Decimal(10) ** exponent(currency))).quantize(
        Decimal(1).scaleb(-exponent(currency)))


def percent_to_minor(rate) -> int | None:
    """A percentage from the provider (19.0, 7.5) → percent in minor units (1900, 750)."""
    if rate is None:
        return None
    return int((Decimal(str(rate)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
