"""Signing in and out, the session check before every page, CSRF on every form."""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import quote

import structlog
from aiohttp import web

from services.console import operators, sessions
from services.console.context import CSRF, OPERATOR, SESSION, SIGNER, render, res

log = structlog.get_logger(__name__)
PUBLIC = ("/console/login",)


def message(request: web.Request, status: int, title: str, text: str) -> web.Response:
    return render(request, "message.html", {"title": title, "text": text}, status=status)


def _cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, *, path: str,
            max_age: int) -> None:
    response.set_cookie(name, value, path=path, max_age=max_age, httponly=True, samesite="Strict",
                        secure=request.secure or request.headers.get("X-Forwarded-Proto") == "https")


def _csrf_ok(sent: object, expected: str) -> bool:
    return isinstance(sent, str) and bool(sent) and hmac.compare_digest(sent, expected)


@web.middleware
async def session_middleware(request: web.Request, handler):
    """Every page but the login form needs a live session; every POST its CSRF token."""
    if request.path.startswith("/console/static/") or request.path in PUBLIC:
        return await handler(request)
    session_id = request.app[SIGNER].unsign(request.cookies.get(sessions.COOKIE))
    found = await sessions.load(res(request).pool, session_id) if session_id else None
    if found is None:
        if request.method in ("GET", "HEAD"):
            raise web.HTTPSeeOther(f"/console/login?next={quote(request.path_qs)}")
        return message(request, 401, "Signed out", "Your session has ended. Sign in again.")
    request[OPERATOR], request[CSRF], request[SESSION] = found[0], found[1], session_id
    if request.method == "POST" and not _csrf_ok((await request.post()).get("csrf_token"), found[1]):
        log.warning("console.csrf_refused", operator=found[0].name, path=request.path)
        return message(request, 403, "Refused", "The form's CSRF token is missing or wrong. Reload the page "
                                                 "and try again.")
    with structlog.contextvars.bound_contextvars(operator=found[0].name):
        try:
            return await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:  # a page, not the API's JSON
            return message(request, exc.status, exc.reason, "There is no such page here.")


def _login_form(request: web.Request, status: int = 200, error: str = "", name: str = "") -> web.Response:
    nonce = secrets.token_urlsafe(16)
    response = render(request, "login.html", {
        "login_token": request.app[SIGNER].login_token(nonce), "error": error, "name": name,
        "next": request.query.get("next", "")}, status=status)
    _cookie(request, response, sessions.LOGIN_COOKIE, request.app[SIGNER].sign(nonce), path="/console/login",
            max_age=3600)
    return response


async def login_page(request: web.Request) -> web.Response:
    return _login_form(request)


def _next(target: str) -> str:
    return target if target.startswith("/console") and not target.startswith("//") else "/console/"


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    nonce = request.app[SIGNER].unsign(request.cookies.get(sessions.LOGIN_COOKIE))
    if not nonce or not _csrf_ok(form.get("csrf_token"), request.app[SIGNER].login_token(nonce)):
        return message(request, 403, "Refused", "The form's CSRF token is missing or wrong. Reload the page.")
    name, pool, remote = str(form.get("name", "")).strip(), res(request).pool, request.remote or "unknown"
    if await operators.throttled(pool, name, remote):
        log.warning("console.login_throttled", operator=name, remote=remote)
        return _login_form(request, 429, "Too many failed sign-ins. Wait a few minutes and try again.", name)
    operator = await operators.authenticate(pool, name, str(form.get("password", "")), remote)
    if operator is None:
        log.warning("console.login_failed", operator=name, remote=remote)
        return _login_form(request, 401, "Wrong name or password.", name)
    session_id = await sessions.open_session(pool, operator)
    log.info("console.login", operator=operator.name, role=operator.role)
    response = web.HTTPSeeOther(_next(str(form.get("next", ""))))
    _cookie(request, response, sessions.COOKIE, request.app[SIGNER].sign(session_id), path="/console",
            max_age=int(sessions.TTL.total_seconds()))
    response.del_cookie(sessions.LOGIN_COOKIE, path="/console/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    await sessions.close(res(request).pool, request[SESSION])
    log.info("console.logout", operator=request[OPERATOR].name)
    response = web.HTTPSeeOther("/console/login")
    response.del_cookie(sessions.COOKIE, path="/console")
    raise response


def routes() -> list[web.RouteDef]:
    return [web.get("/login", login_page), web.post("/login", login), web.post("/logout", logout)]
