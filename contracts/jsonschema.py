"""Turning pydantic models into JSON Schema components, shared by the document builders."""
from __future__ import annotations

from typing import Any, Iterable, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

Mode = Literal["validation", "serialization"]
REF_TEMPLATE = "#/components/schemas/{model}"


def components(models: Iterable[tuple[type[BaseModel], Mode]]
               ) -> tuple[dict[tuple[type[BaseModel], Mode], dict[str, Any]], dict[str, Any]]:
    """`({(model, mode): {"$ref": …}}, {name: schema})` with refs into `components`."""
    unique = list(dict.fromkeys(models))
    refs, top = models_json_schema(unique, ref_template=REF_TEMPLATE)
    return refs, top.get("$defs", {})


def standalone(model: type[BaseModel], mode: Mode, title: str | None = None) -> dict[str, Any]:
    """One self-contained JSON Schema (2020-12) document for `model`."""
    schema = model.model_json_schema(mode=mode)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if title:
        schema["title"] = title
    return schema
