"""ledgersync's contracts: the pydantic models that are the source of truth for what crosses
a process boundary, and the documents generated from them.

- `contracts.events`: CloudEvents in (`parse_domain_event`, `DOMAIN_EVENT_TYPES`) and out
  (`make_event`, `OUTBOUND_EVENT_TYPES`);
- `contracts.webhooks`: Codat webhooks (`parse_webhook`);
- `contracts.api`: API bodies (wire-compatible with the `monite` SDK) and `ROUTES`;
- `contracts.openapi` / `contracts.asyncapi`: the documents; `python -m contracts.generate
  [--check]` writes them (and `schemas/*.json`) next to this file;
- `contracts.errors.ContractViolation`: raised when something does not match its contract.
"""

__version__ = "0.1.0"
