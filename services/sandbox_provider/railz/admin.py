"""Admin calls of the Railz surface (no auth, like the rest of /admin): revoke every access
token, expire a business's sites links, revoke a business's access (deauthorize)."""
from __future__ import annotations

from aiohttp import web

from services.sandbox_provider.railz import lifecycle
from services.sandbox_provider.railz.keys import RAILZ

routes = web.RouteTableDef()


@routes.post("/admin/railz/tokens/revoke")
async def revoke_tokens(request: web.Request) -> web.Response:
    request.app[RAILZ].revoke_tokens()
    return web.json_response({"revoked": True})


@routes.post("/admin/railz/businesses/{businessUuid}/expire_links")
async def expire_links(request: web.Request) -> web.Response:
    railz = request.app[RAILZ]
    company = railz.business(request.match_info["businessUuid"])
    return web.json_response({"expired": railz.expire_links(company.id)})


def deauthorize(app: web.Application, company) -> None:
    """The user revoked access to every active connection of a business."""
    for connection in company.linked():
        lifecycle.disconnected(app, company, connection, "Deauthorized")
