"""Driving the operator console in Chromium: operators, sign-in, checks every page must pass."""
from __future__ import annotations

import json
from pathlib import Path

from tests.support.system import cli

ARTIFACTS = Path(__file__).resolve().parents[1] / ".artifacts"

# Every visible form control has an accessible name (a <label>, aria-label, or its own text).
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
  .map(el => el.outerHTML)"""


def operator(system, name: str, role: str) -> dict:
    return json.loads(cli(system.env, "operator", "create", "--name", name, "--role", role, "--json"))


def sign_in(page, base: str, login: dict) -> None:
    """With the keyboard only: the name field has focus, Tab to the password, Enter submits."""
    page.goto(f"{base}/console/")
    assert page.url.startswith(f"{base}/console/login")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'name'")
    page.keyboard.type(login["name"])
    page.keyboard.press("Tab")
    page.keyboard.type(login["password"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/console/", page.content()


def shot(page, name: str) -> None:
    """Keep a screenshot of the page as a test artifact; check its controls are labelled and that
    everything it loaded came from ledgersync itself (no CDN)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)
    assert page.evaluate(UNLABELLED) == [], f"unlabelled controls on the {name} page"
    origin = page.evaluate("location.origin")
    loaded = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(url.startswith(origin + "/console/static/") for url in loaded), loaded


def csrf_token(page) -> str:
    return page.locator("input[name=csrf_token]").first.get_attribute("value")
