"""Import rules no one can break by accident: the provider port is the only door to a provider, and
imports run down the layers of services/ (``LAYERS``), never up."""
from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"
PORT = "services.providers.base"
# the one place that picks an adapter for the configured provider
ROOTS = {"services.bootstrap": {"services.providers.registry"}}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SERVICES.parent).with_suffix("").parts).removesuffix(".__init__")


def _is_module(name: str) -> bool:
    path = SERVICES.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)  # and "from package import module" names the module
            names.update(f"{node.module}.{alias.name}" for alias in node.names
                         if _is_module(f"{node.module}.{alias.name}"))
    return names


def _provider_imports(path: Path) -> set[str]:
    found = {n for n in _imports(path) if n.startswith("services.providers.")}
    return found - {PORT}


def test_nothing_outside_the_adapters_imports_a_provider_module():
    offenders = {}
    for path in sorted(SERVICES.rglob("*.py")):
        module = _module(path)
        if module.startswith("services.providers"):
            continue
        leaked = _provider_imports(path) - ROOTS.get(module, set())
        if leaked:
            offenders[module] = sorted(leaked)
    assert offenders == {}, f"import only {PORT} (the port); these reach past it: {offenders}"


def test_the_rule_catches_a_reach_past_the_port(tmp_path):
    leak = tmp_path / "leak.py"
    leak.write_text("from services.providers import codat_bodies as bodies\n"
                    "from services.providers.base import ProviderAdapter\n")
    assert _provider_imports(leak) == {"services.providers.codat_bodies"}
    leak.write_text("import services.providers.codat\n")
    assert _provider_imports(leak) == {"services.providers.codat"}


def test_core_imports_nothing_above_it():
    above = {}
    for path in sorted((SERVICES / "core").rglob("*.py")):
        ours = {n for n in _imports(path) if n.startswith("services.") and not n.startswith("services.core")}
        if ours:
            above[_module(path)] = sorted(ours)
    assert above == {}, f"core is infrastructure only; these import features or adapters: {above}"


# ---- the direction of imports: contracts ← core ← sync ← providers ← features ← entrypoints ← roots ----
CONTRACTS, CORE, SYNC, PROVIDERS, FEATURES, ENTRYPOINTS, ROOTS_LAYER = range(7)
# every package (or top-level module) of services/, its layer and why it sits there; an import may
# go down or sideways, never up
LAYERS: dict[str, tuple[int, str]] = {
    "contracts": (CONTRACTS, "the shapes of what goes in and out; outside services/ and imports none of it"),
    "core": (CORE, "infrastructure (database, bus, outbox, settings, errors); no business knowledge"),
    "sync": (SYNC, "the domain's pure rules: lifecycle, matching, prerequisites, money"),
    "providers": (PROVIDERS, "the provider port and its adapters, which speak the domain's types"),
    "connections": (FEATURES, "connection use cases and the provider's notices about them"),
    "pull": (FEATURES, "pulling datasets and matching them"),
    "push": (FEATURES, "pushing synced records and settling the writes"),
    "synced_records": (FEATURES, "the synced-record rows and their announcements"),
    "auth": (FEATURES, "partners' credentials and tokens"),
    "entities": (FEATURES, "the entity guard and look-ups, shared by events and the API"),
    "partner_webhooks": (FEATURES, "fan-out, signing and delivery of the partner's webhooks"),
    "tools": (FEATURES, "operator actions on the bus (dead letters, publishing) for the console and the CLI"),
    "app_keys": (FEATURES, "what both HTTP apps hand their views: settings, pool, adapter; no behaviour"),
    "api": (ENTRYPOINTS, "the partner HTTP API's views"),
    "console": (ENTRYPOINTS, "the operators' pages, a sub-app the api serves"),
    "push_worker": (ENTRYPOINTS, "the consumers of domain events and commands: the handler tables"),
    "webhook_receiver": (ENTRYPOINTS, "provider webhooks in: receive, store, process"),
    "scheduler": (ENTRYPOINTS, "periodic jobs under a leader lock"),
    "sandbox_provider": (ENTRYPOINTS, "a stand-in provider's own HTTP service; the roots start it"),
    "bootstrap": (ROOTS_LAYER, "the composition root's resources (pool, broker, HTTP session, adapter)"),
    "runner": (ROOTS_LAYER, "which components each service runs"),
    "cli": (ROOTS_LAYER, "the ledgersync command"),
    "bench": (ROOTS_LAYER, "measurements that start whole processes"),
}


def _package(module: str) -> str | None:
    """``services.push.pusher`` → ``push``; ``contracts.events`` → ``contracts``; None for others."""
    parts = module.split(".")
    if parts[0] == "contracts":
        return "contracts"
    return parts[1] if parts[0] == "services" and len(parts) > 1 else None


def _upward(module: str, imports: set[str]) -> list[str]:
    """The imports of ``module`` that run up the layers (``package → package``)."""
    own = LAYERS[_package(module)][0]
    return sorted(f"{_package(module)} → {target}" for target in {_package(n) for n in imports} - {None}
                  if LAYERS[target][0] > own)


def _ours() -> list[Path]:
    """Every module of services/ and contracts/ but services/__init__.py (which imports nothing)."""
    return [p for p in sorted(SERVICES.rglob("*.py")) + sorted((SERVICES.parent / "contracts").rglob("*.py"))
            if _package(_module(p)) is not None]


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in LAYERS}
    for path in _ours():
        source = _package(_module(path))
        graph[source] |= {_package(n) for n in _imports(path)} - {None, source}
    return graph


def _packages() -> set[str]:
    return {p.stem for p in SERVICES.glob("*.py") if p.stem != "__init__"} | \
        {p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists()} | {"contracts"}


def test_every_package_has_a_layer():
    assert _packages() == set(LAYERS), "place a new package in LAYERS (with why it sits there)"


def test_no_import_runs_up_the_layers():
    arrows = {}
    for path in _ours():
        module = _module(path)
        if found := _upward(module, _imports(path)):
            arrows[module] = found
    assert arrows == {}, f"these imports run up the layers (contracts ← core ← sync ← providers ← features ← " \
                         f"entrypoints ← roots): {arrows}"


def test_no_two_packages_import_each_other():
    graph = _package_graph()
    both = sorted(f"{a} ↔ {b}" for a in graph for b in graph[a] if a < b and a in graph.get(b, set()))
    assert both == [], f"packages that import each other: {both}"


def test_the_rule_catches_an_import_up_the_layers(tmp_path):
    up = tmp_path / "up.py"
    up.write_text("from services.push import pusher\nimport services.api.app\nfrom services.sync import money\n"
                  "from contracts.commands import PushRecord\n")
    assert _upward("services.core.db", _imports(up)) == ["core → api", "core → push", "core → sync"]
    assert _upward("services.push_worker.handlers", _imports(up)) == []
    assert _upward("contracts.commands", {"services.core.errors"}) == ["contracts → core"]
    assert _upward("services.partner_webhooks.routes", {"services.api.context"}) == ["partner_webhooks → api"]
