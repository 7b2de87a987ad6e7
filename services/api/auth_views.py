"""POST /v1/auth/token and /v1/auth/revoke."""
from __future__ import annotations

import structlog
from aiohttp import web

from contracts.api import AccessTokenResponse, AuthTokenRequest, MessageResponse, RevokeTokenRequest
from services.api.context import dump, parse_body, res
from services.api.error_responses import BadRequest
from services.auth import partners, tokens
from services.core.errors import Unauthorized

log = structlog.get_logger(__name__)


async def _partner(request: web.Request, client_id: str, client_secret: str) -> str:
    partner_id = await partners.authenticate(res(request).pool, client_id, client_secret)
    if partner_id is None:
        log.info("auth.credentials_refused", client_id=client_id)
        raise Unauthorized("Invalid client credentials")
    return partner_id


async def token(request: web.Request) -> web.Response:
    grant = (await parse_body(request, AuthTokenRequest)).root
    partner_id = await _partner(request, grant.client_id, grant.client_secret)
    entity_user_id = getattr(grant, "entity_user_id", None)
    settings = res(request).settings
    access = tokens.issue(settings, partner_id, entity_user_id)
    log.info("auth.token_issued", partner_id=partner_id, grant_type=grant.grant_type)
    return dump(AccessTokenResponse(access_token=access, token_type="Bearer",
                                    expires_in=settings.token_ttl_s))


async def revoke(request: web.Request) -> web.Response:
    body = await parse_body(request, RevokeTokenRequest)
    partner_id = await _partner(request, body.client_id, body.client_secret)
    if not await tokens.revoke(res(request).pool, res(request).settings, body.token, partner_id):
        raise BadRequest("Token is not a valid token of this partner")
    log.info("auth.token_revoked", partner_id=partner_id)
    return dump(MessageResponse(message="Token revoked"))


def routes() -> list[web.RouteDef]:
    return [web.post("/v1/auth/token", token), web.post("/v1/auth/revoke", revoke)]
