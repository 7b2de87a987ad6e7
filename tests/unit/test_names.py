"""One name per thing: outside the sandbox, no two modules of services/ share a name, except the few
names that say the same role in every package (an entrypoint's ``app``, a package's ``cli``, a
request ``context``, an aggregate's ``repo``)."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"
SAME_ROLE = {"__init__", "app", "cli", "context", "repo"}


def _clashes(paths) -> dict[str, list[str]]:
    by_name = defaultdict(list)
    for path in paths:
        rel = path.relative_to(SERVICES)
        if rel.parts[0] != "sandbox_provider" and path.stem not in SAME_ROLE:
            by_name[path.stem].append(str(rel))
    return {name: sorted(where) for name, where in by_name.items() if len(where) > 1}


def test_no_two_modules_share_a_name():
    assert _clashes(SERVICES.rglob("*.py")) == {}


def test_the_rule_sees_a_clash():
    paths = [SERVICES / "push" / "records.py", SERVICES / "api" / "records.py", SERVICES / "api" / "app.py",
             SERVICES / "console" / "app.py", SERVICES / "sandbox_provider" / "state.py"]
    assert _clashes(paths) == {"records": ["api/records.py", "push/records.py"]}
