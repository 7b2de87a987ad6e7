"""JSON pointers into an OpenAPI document, shared by the Codat and Railz spec checks."""
from __future__ import annotations


def escape(token: str) -> str:
    """One reference token of a JSON pointer (RFC 6901): ``~`` and ``/`` escaped."""
    return token.replace("~", "~0").replace("/", "~1")


def json_schema_pointer(base: str, node: dict, what: str) -> str | None:
    """The pointer to the JSON schema of the request body or response at ``base`` (``node``), or
    None when it has no content."""
    content = node.get("content")
    if not content:
        return None
    assert "application/json" in content, f"{what}: no application/json in {list(content)}"
    return f"{base}/content/application~1json/schema"
