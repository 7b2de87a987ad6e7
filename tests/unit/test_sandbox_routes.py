"""The sandbox's routes are tried in the order they were added; the push routes come first (most
calls are pushes), which decides nothing only while no push route matches a path another route
matches. (Among the others the order does decide: ``data/all`` before ``data/{dataType}``.)"""
from __future__ import annotations

from services.core.settings import Settings
from services.sandbox_provider import push
from services.sandbox_provider.app import create_app


def _segments(canonical: str) -> list[str]:
    return canonical.strip("/").split("/")


def _overlap(a: str, b: str) -> bool:
    """Whether some path matches both (a ``{name}`` is one segment of anything)."""
    first, second = _segments(a), _segments(b)
    return len(first) == len(second) and all(
        x == y or x.startswith("{") or y.startswith("{") for x, y in zip(first, second, strict=True))


def test_no_push_route_matches_a_path_another_route_matches():
    canonicals = [r.canonical for r in create_app(Settings()).router.resources()]
    pushes = {route.path for route in push.routes}
    under_companies = [c for c in canonicals if c.startswith("/companies")]
    assert set(under_companies[:len(pushes)]) == pushes  # tried first
    clashes = [(a, b) for a in pushes for b in canonicals if b not in pushes and _overlap(a, b)]
    assert clashes == []


def test_the_check_sees_a_clash():
    assert _overlap("/companies/{companyId}/data/all", "/companies/{companyId}/data/{dataType}")
    assert not _overlap("/companies/{companyId}/push", "/companies/{companyId}/dataStatus")
