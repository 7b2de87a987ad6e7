"""Field types shared by every contract: UTC datetimes, money, currency and country codes."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
)


class Contract(BaseModel):
    """Base of every contract model: tolerant reader (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+01:00 or 9999-12-31T23:00-05:00 has no UTC date-time
        raise ValueError("date-time is out of range once converted to UTC") from None


def _assume_utc(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) or isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        raise ValueError("a date-time is an ISO 8601 string (2026-11-20T10:00:00Z), not a number")
    if isinstance(value, str):
        text = value.strip()
        if _DATE_ONLY.fullmatch(text):
            return text + "T00:00:00Z"
        if _NAIVE_DATETIME.fullmatch(text):
            return text + "Z"
    return value


_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_NAIVE_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware date-time, normalised to UTC. A naive date-time is rejected."""

LenientUtcDatetime = Annotated[AwareDatetime, BeforeValidator(_assume_utc), AfterValidator(_to_utc)]
"""A date-time normalised to UTC; a naive one is taken as UTC (Codat sends some unqualified,
and query strings typed by people often lack the offset)."""

def _date_part(value: object) -> object:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str) and len(value.strip()) > 10 and value.strip()[10] in "T ":
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return value
    return value


DateOnly = Annotated[date, BeforeValidator(_date_part)]
"""A calendar date; a date-time is accepted and cut to its date (tolerant reader)."""

Money = Annotated[StrictInt, Field(description="Amount in minor units (cents): 10.50 EUR is 1050.")]
"""Integer minor units. Floats (10.5) and strings ("1050") are rejected."""

Percent = Annotated[StrictInt, Field(ge=0, le=10000,
                                     description="Percent in minor units: 19% is 1900.")]
"""A tax rate as percent in minor units (19% = 1900)."""

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"),
                     Field(description="ISO 4217 currency code, upper case.", examples=["EUR"])]

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"),
                        Field(description="ISO 3166-1 alpha-2 country code.", examples=["DE"])]

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
