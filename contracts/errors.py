"""Errors raised by the contracts package.

`contracts` depends on nothing else in ledgersync, so its one error does not inherit from
`services.core.errors`; the edges translate it (an event → dead-letter, a body → 422).
"""
from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError


class ContractViolation(Exception):
    """Raised when a message or body does not match its contract.

    `reason` is one human-readable line (it goes into dead-letter headers and logs);
    `errors` is a JSON-safe list of pydantic-style errors (`loc`, `msg`, `type`).
    """

    def __init__(self, reason: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or []

    @classmethod
    def from_validation_error(cls, prefix: str, exc: ValidationError,
                              loc_prefix: tuple[str | int, ...] = ()) -> "ContractViolation":
        """Build one from a pydantic `ValidationError`, listing every `loc: msg`."""
        errors = json.loads(exc.json(include_url=False, include_input=False))
        for error in errors:
            error["loc"] = [*loc_prefix, *error["loc"]]
        return cls(f"{prefix}: {describe_errors(errors)}", errors)


def describe_errors(errors: list[dict[str, Any]]) -> str:
    """`a.b.0: Field required; c: Input should be a valid integer`."""
    parts = []
    for error in errors:
        loc = ".".join(str(part) for part in error.get("loc", ())) or "(root)"
        parts.append(f"{loc}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)
