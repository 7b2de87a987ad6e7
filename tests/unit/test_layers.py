"""Import rules no one can break by accident: the provider port is the only door to a provider."""
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
