"""The repository is self-contained: what the tests read from outside is vendored (byte for
byte, as its README's table says), and no code, test, Makefile or CI script reads the team's shared folder beside
the checkout."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "tests" / "vendor"
SCANNED = ("services", "tests", "contracts", "deploy", ".ci", "Makefile", "pyproject.toml")
# a path into the team's shared folder, spelled as a relative path, an absolute one or joined parts
OUTSIDE = re.compile(r"\.\./shared\b|/work/shared\b|[\"']shared[\"']\s*(/|,|\))|shared/reference")


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def vendored() -> list[tuple[Path, str]]:
    """(file, expected blob id) from every vendor README's table rows."""
    rows = []
    for readme in VENDOR.glob("*/README.md"):
        for name, blob in re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{40})` \|$",
                                     readme.read_text(), re.M):
            rows.append((readme.parent / name, blob))
    return rows


def test_every_vendored_file_is_listed_and_unchanged():
    rows = vendored()
    assert {path.name for path, _ in rows} >= {"Codat-Platform.json", "Codat-Lending.yaml"}
    for path, blob in rows:
        assert path.exists(), f"{path} is listed in its README but missing"
        assert git_blob_id(path.read_bytes()) == blob, f"{path} differs from its source"
    listed = {path for path, _ in rows}
    for path in VENDOR.glob("*/*"):
        assert path.name == "README.md" or path in listed, f"{path} is not in its README's table"


def scanned_files() -> list[Path]:
    files = []
    for name in SCANNED:
        top = ROOT / name
        found = [top] if top.is_file() else [p for p in top.rglob("*") if p.is_file()]
        files += [p for p in found if "__pycache__" not in p.parts and VENDOR not in p.parents]
    return files


def test_nothing_reads_outside_the_repository():
    offenders = []
    for path in scanned_files():
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(errors="replace")
        offenders += [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
                      for m in OUTSIDE.finditer(text)]
    assert not offenders, "reads the team's shared folder beside the checkout: " + ", ".join(offenders)


S = "shared"  # spelled apart, so this file's own cases are not references themselves


@pytest.mark.parametrize("line, outside", [
    (f'SPEC = Path("../{S}/reference/codat")', True),
    (f'root.parent / "{S}" / "reference"', True),
    ("os.path.join(base, 'shared', 'seeds')", True),
    ('cat /work/shared/DESIGN.md', True),
    ('"""The process\'s shared resources"""', False),
    ('shared = [processors]', False)])
def test_the_scan_recognises_references(line, outside):
    assert bool(OUTSIDE.search(line)) is outside
