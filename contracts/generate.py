"""Write the generated documents next to the models, or check that they are up to date.

    python -m contracts.generate           # (re)write contracts/schemas/*.json, openapi.json, asyncapi.json
    python -m contracts.generate --check   # exit 1 listing stale, missing and extra files
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from contracts.api.common import ErrorBody, ValidationErrorBody
from contracts.api.routes import ROUTES
from contracts.asyncapi import WEBHOOK_MESSAGES, build_asyncapi
from contracts.events import DOMAIN_EVENT_TYPES, OUTBOUND_EVENT_TYPES, envelope_model
from contracts.jsonschema import standalone
from contracts.openapi import build_openapi
from contracts.webhooks import CodatWebhook

ROOT = Path(__file__).resolve().parent
SCHEMAS = "schemas"


def render(document: dict[str, Any]) -> str:
    """Pretty, sorted, deterministic JSON with a trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """Every generated file (path relative to the contracts package) → its content."""
    docs: dict[str, dict[str, Any]] = {}
    for event_type, model in DOMAIN_EVENT_TYPES.items():
        docs[f"event.{event_type}"] = standalone(envelope_model(event_type, model), "validation")
    for event_type, model in OUTBOUND_EVENT_TYPES.items():
        docs[f"event.{event_type}"] = standalone(envelope_model(event_type, model), "serialization")
    for name, (payload, _) in WEBHOOK_MESSAGES.items():
        docs[f"webhook.{name}"] = standalone(CodatWebhook[payload], "validation", title=name)
    for model, mode in _api_bodies():
        docs[f"api.{model.__name__}"] = standalone(model, mode)
    files = {f"{SCHEMAS}/{name}.json": render(doc) for name, doc in docs.items()}
    files["openapi.json"] = render(build_openapi())
    files["asyncapi.json"] = render(build_asyncapi())
    return files


def _api_bodies():
    yield ErrorBody, "serialization"
    yield ValidationErrorBody, "serialization"
    for route in ROUTES:
        if route.request:
            yield route.request, "validation"
        if route.response:
            yield route.response, "serialization"


def check(root: Path = ROOT) -> list[str]:
    """Problems with the committed files: `stale: …`, `missing: …`, `extra: …` (empty: fine)."""
    expected = expected_files()
    problems = []
    for path, content in sorted(expected.items()):
        target = root / path
        if not target.exists():
            problems.append(f"missing: {path}")
        elif target.read_text(encoding="utf-8") != content:
            problems.append(f"stale: {path}")
    present = {f"{SCHEMAS}/{p.name}" for p in (root / SCHEMAS).glob("*.json")}
    problems += [f"extra: {path}" for path in sorted(present - expected.keys())]
    return problems


def write(root: Path = ROOT) -> list[str]:
    """Write every generated file and delete extra ones; returns the paths changed."""
    expected = expected_files()
    changed = []
    (root / SCHEMAS).mkdir(exist_ok=True)
    for path, content in sorted(expected.items()):
        target = root / path
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.write_text(content, encoding="utf-8")
            changed.append(path)
    for extra in sorted((root / SCHEMAS).glob("*.json")):
        if f"{SCHEMAS}/{extra.name}" not in expected:
            extra.unlink()
            changed.append(f"{SCHEMAS}/{extra.name} (deleted)")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if out of date")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem)
        if problems:
            print("contracts are out of date: run `python -m contracts.generate`", file=sys.stderr)
            return 1
        print("contracts are up to date")
        return 0
    for path in write():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
