"""The ``/api/v1/`` NinjaAPI: routers, error bodies and throttling; no interactive docs page.

The OpenAPI 3 document is served at ``/api/v1/openapi.json``. The Swagger page is disabled: it would
load scripts the Content-Security-Policy forbids, and the JSON document is what clients use.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.throttling import SimpleRateThrottle

from safercities.api import account, errors, official, public
from safercities.api.tokens import TOKEN_RE


class CallerThrottle(SimpleRateThrottle):
    """One budget per caller: a token (by prefix), a signed-in user, or else a client address.

    Rates come from settings at request time (``API_THROTTLE_ANON``, ``API_THROTTLE_USER``; empty
    disables), so a deployment can tune them without code.
    """

    scope = "api"

    def __init__(self) -> None:
        self.rate = None
        self.num_requests = self.duration = None

    def get_cache_key(self, request: HttpRequest) -> str | None:
        header = request.headers.get("Authorization", "")
        match = TOKEN_RE.match(header.partition(" ")[2].strip()) if header else None
        if match:
            ident, rate = f"token:{match.group(1)}", getattr(settings, "API_THROTTLE_USER", "1200/min")
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            ident, rate = f"user:{request.user.pk}", getattr(settings, "API_THROTTLE_USER", "1200/min")
        else:
            ident, rate = f"ip:{self.get_ident(request)}", getattr(settings, "API_THROTTLE_ANON", "120/min")
        if not rate:
            return None
        self.rate = rate
        self.num_requests, self.duration = self.parse_rate(rate)
        return self.cache_format % {"scope": self.scope, "ident": ident}


api = NinjaAPI(
    title="Safer Cities Monitor API",
    version="1",
    description="Public data and official operations of Safer Cities Monitor. See docs/api.md.",
    urls_namespace="api",
    docs_url=None,
    throttle=[CallerThrottle()],
)
errors.install(api)
api.add_router("/", public.router)
api.add_router("/", official.router)
api.add_router("/", account.router)
# Each domain app keeps its operations in its own ``api.py``.
for _app in ("reports", "surveys", "community", "practices", "crises"):
    api.add_router("/", f"safercities.{_app}.api.router")
