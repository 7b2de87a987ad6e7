"""ledgersync's contracts: pydantic models for events, webhooks and API bodies, and the
JSON Schema / OpenAPI / AsyncAPI documents generated from them (`python -m contracts.generate`)."""

__version__ = "0.1.0"
