"""The one Starlette app: every vendor under its prefix, plus the sandbox's own /_admin routes."""

from datetime import date

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from sandbox.apis import docusign, ecb, google_ads, hubspot, meta, oauth, salesforce, shippo, shipstation
from sandbox.apis.common import Sandbox, json_response

PREFIXES = {"/hubspot": hubspot, "/meta": meta, "/google-ads": google_ads, "/docusign": docusign,
            "/shipstation": shipstation, "/ecb": ecb, "/shippo": shippo, "/salesforce": salesforce}


def _admin_routes(sandbox: Sandbox) -> list[Route]:
    async def health(request: Request) -> Response:
        return json_response({"status": "ok", "as_of": sandbox.world.as_of.isoformat()})

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await request.json()
                sandbox.world.set_clock(date.fromisoformat(body["as_of"]))
            except (ValueError, KeyError, TypeError) as exc:
                return json_response({"error": f"POST /_admin/clock needs {{\"as_of\": \"YYYY-MM-DD\"}} inside "
                                               f"the world: {exc}"}, 400)
        return json_response({"as_of": sandbox.world.as_of.isoformat()})

    async def stats(request: Request) -> Response:
        counts: dict[str, dict[str, int]] = {}
        for (vendor, path), n in sorted(sandbox.stats.items()):
            counts.setdefault(vendor, {})[path] = n
        return json_response({"requests": counts, "total": sum(sandbox.stats.values()),
                              "tokens_issued": dict(sandbox.tokens.grants),
                              "rate_limited": dict(sandbox.limits.refused)})

    return [Route("/_admin/health", health), Route("/_admin/clock", clock, methods=["GET", "POST"]),
            Route("/_admin/stats", stats)]


def build_app(sandbox: Sandbox) -> Starlette:
    """The ASGI app serving `sandbox`."""
    # The token endpoints come first: /hubspot/oauth must not fall into the /hubspot mount.
    token_mounts = [Mount("/google-oauth", routes=oauth.google_routes(sandbox.tokens)),
                    Mount("/docusign-account", routes=oauth.docusign_routes(sandbox.tokens)),
                    Mount("/hubspot/oauth", routes=oauth.hubspot_routes(sandbox.tokens)),
                    Mount("/salesforce/services/oauth2", routes=oauth.salesforce_routes(sandbox.tokens))]
    mounts = [Mount(prefix, routes=module.routes(sandbox)) for prefix, module in PREFIXES.items()]
    return Starlette(routes=[*_admin_routes(sandbox), *token_mounts, *mounts])
