"""Console sessions from outside, as any HTTP client sees them: the cookie's attributes, logout,
tampering, the rate limit on failed sign-ins, and that no page shows a secret."""
from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.support.console import operator
from tests.support.system import cli


def _login_form(http: httpx.Client) -> str:
    page = http.get("/console/login")
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def _sign_in(http: httpx.Client, login: dict, password: str | None = None) -> httpx.Response:
    token = _login_form(http)
    return http.post("/console/login", data={"csrf_token": token, "name": login["name"],
                                             "password": password or login["password"]})


@pytest.fixture
def http(system):
    with httpx.Client(base_url=system.api_url) as created:
        yield created


def test_operator_create_prints_one_login_and_refuses_a_taken_name(system):
    name = f"olga-{uuid.uuid4().hex[:6]}"
    made = operator(system, name, "admin")
    assert set(made) == {"name", "password", "role"} and made["name"] == name and made["role"] == "admin"
    assert len(made["password"]) >= 20
    with pytest.raises(AssertionError, match="exists already"):
        cli(system.env, "operator", "create", "--name", name)


def test_the_session_cookie_is_signed_httponly_strict_and_expiring_and_logout_ends_it(system, http):
    login = operator(system, f"sam-{uuid.uuid4().hex[:6]}", "viewer")
    signed_in = _sign_in(http, login)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/console/"
    cookie = next(h for h in signed_in.headers.get_list("set-cookie") if h.startswith("ledgersync_console="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=28800" in cookie
    assert "Path=/console" in cookie
    overview = http.get("/console/")
    assert overview.status_code == 200 and login["name"] in overview.text
    session = http.cookies["ledgersync_console"]
    value, _, mac = session.rpartition(".")
    forged = httpx.get(f"{system.api_url}/console/", cookies={"ledgersync_console": f"{value}x.{mac}"})
    assert forged.status_code == 303 and forged.headers["location"].startswith("/console/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', overview.text).group(1)
    assert http.post("/console/logout", data={"csrf_token": csrf}).status_code == 303
    replayed = httpx.get(f"{system.api_url}/console/", cookies={"ledgersync_console": session})
    assert replayed.status_code == 303, "a session ended by logout stays ended"


def test_deleting_an_operator_ends_their_sessions(system, http):
    login = operator(system, f"dora-{uuid.uuid4().hex[:6]}", "admin")
    assert _sign_in(http, login).status_code == 303 and http.get("/console/").status_code == 200
    assert f"operator {login['name']} deleted" in cli(system.env, "operator", "delete", "--name", login["name"])
    assert http.get("/console/").status_code == 303
    assert _sign_in(http, login).status_code == 401
    with pytest.raises(AssertionError, match="No operator is named"):
        cli(system.env, "operator", "delete", "--name", login["name"])


def test_failed_sign_ins_are_rate_limited_per_operator(system, http):
    login = operator(system, f"rita-{uuid.uuid4().hex[:6]}", "admin")
    for _ in range(5):
        assert _sign_in(http, login, "wrong").status_code == 401
    throttled = _sign_in(http, login)  # even the right password waits now
    assert throttled.status_code == 429 and "Too many failed sign-ins" in throttled.text
    other = operator(system, f"rolf-{uuid.uuid4().hex[:6]}", "admin")
    with httpx.Client(base_url=system.api_url) as fresh:
        assert _sign_in(fresh, other).status_code == 303, "another operator is not held up"


def test_no_page_shows_a_secret(system, http, partner):
    login = operator(system, f"sid-{uuid.uuid4().hex[:6]}", "admin")
    assert _sign_in(http, login).status_code == 303
    pages = ["/console/", "/console/partners", "/console/entities", "/console/dead-letters",
             f"/console/entities?partner={partner['partner_id']}"]
    for path in pages:
        text = http.get(path).text
        for secret in (partner["client_secret"], login["password"], "$argon2", system.settings.jwt_secret):
            assert secret not in text, f"{path} shows a secret"


def test_unknown_ids_and_paths_are_clear_404_pages(system, http):
    login = operator(system, f"nia-{uuid.uuid4().hex[:6]}", "viewer")
    assert _sign_in(http, login).status_code == 303
    for path in (f"/console/records/{uuid.uuid4()}", "/console/records/not-a-uuid",
                 f"/console/entities/{uuid.uuid4()}", "/console/dead-letters?queue=nope"):
        page = http.get(path)
        assert page.status_code == 404 and "<h1>Not found</h1>" in page.text, path
    for path, status in (("/console/no-such-page", 404), (f"/console/records/{uuid.uuid4()}/push", 405)):
        page = http.get(path)
        assert page.status_code == status and page.headers["content-type"].startswith("text/html"), path
        assert "There is no such page here." in page.text
