"""Sync errors a person can act on: a stable code, a message naming the object and value,
and a hint saying what to do (the troubleshooting list of seed 002). Pure."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SyncError:
    code: str
    message: str
    hint: str


def as_errors(problems: list[SyncError]) -> dict | None:
    """The synced record's `errors` object: the first problem at top level, all under `details`."""
    if not problems:
        return None
    return {**asdict(problems[0]), "details": [asdict(p) for p in problems]}


def multiple_counterparts(kind: str, name: str, system: str, candidates: tuple[str, ...]) -> SyncError:
    return SyncError(
        "multiple_matches",
        f"{len(candidates)} {kind}s in {system} match the counterpart {name!r}: {', '.join(candidates)}",
        f"Make the counterpart's name, country, city or address unique in {system} (or in ledgersync), "
        "then sync again")


def multiple_products(name: str, system: str, candidates: tuple[str, ...]) -> SyncError:
    return SyncError(
        "multiple_matches",
        f"{len(candidates)} products named {name!r} match in {system}: {', '.join(candidates)}",
        f"Give the product a unique name in {system} and in ledgersync, then sync again")
