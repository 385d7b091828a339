"""The authorisation matrix: what every persona gets from every URL pattern and API operation.

``tests/test_authorization_matrix.py`` walks every URL pattern of the project (and every operation
of the API's OpenAPI document) and fails for any that has no entry here, so a new page cannot ship
without someone deciding who may open it.

Personas (conftest.py): anonymous; rita, a resident of the test city; mo, its community monitor;
ana, its analyst; alice, its city admin; oscar, the city admin of ANOTHER city; nora, the network
admin. Outcomes are status codes; ``LOGIN`` is a redirect to the sign-in page; a tuple lists the
acceptable codes for an allowed persona (e.g. a POST that succeeds or finds the state changed by an
earlier persona, 409). Every denial is one exact code: outsiders get 404 (nothing is revealed),
members whose role is too low get 403.

URLs are built from ``kwargs``; a value in braces (``"{alert}"``) is taken from the test's objects.
"""

from __future__ import annotations

PERSONAS = ("anonymous", "rita", "mo", "ana", "alice", "oscar", "nora")
LOGIN = "login"  # 302 to the sign-in page


def outcome(anonymous, rita, mo, ana, alice, oscar, nora) -> dict:
    return dict(zip(PERSONAS, (anonymous, rita, mo, ana, alice, oscar, nora), strict=True))


# Pages
PUBLIC = outcome(200, 200, 200, 200, 200, 200, 200)
SIGNED_IN = outcome(LOGIN, 200, 200, 200, 200, 200, 200)
WORKSPACE_ANALYST = outcome(LOGIN, 403, 403, 200, 200, 404, 200)
WORKSPACE_ADMIN = outcome(LOGIN, 403, 403, 403, 200, 404, 200)
# POST in the workspace: redirect back on success (302), or a form error page (200).
WORKSPACE_ANALYST_POST = outcome(LOGIN, 403, 403, (200, 302), (200, 302), 404, (200, 302))
WORKSPACE_ADMIN_POST = outcome(LOGIN, 403, 403, 403, (200, 302), 404, (200, 302))
AUDIT = outcome(LOGIN, 404, 404, 404, 200, 404, 200)
# Django admin: only staff (analysts, city admins, network admins) get in; the rest are sent to sign in.
ADMIN = outcome(LOGIN, LOGIN, LOGIN, 200, 200, 200, 200)

# API (session-authenticated here; tokens are tested in safercities/api/tests)
API_PUBLIC = PUBLIC
API_ANALYST = outcome(401, 403, 403, 200, 200, 404, 200)
API_ANALYST_WRITE = outcome(401, 403, 403, (200, 409), (200, 409), 404, (200, 409))
API_SIGNED_IN = outcome(401, 200, 200, 200, 200, 200, 200)

CITY = {"city": "{city}"}
SLUG = {"slug": "{city}"}

# name (namespace:name) or route → {"kwargs": …, "GET": outcome or None, "POST": outcome or None}
# None means "not tested with this method" (the view refuses it or it needs a form we test elsewhere).
PAGES: dict[str, dict] = {
    "health": {"GET": PUBLIC},
    "set_language": {"GET": None, "POST": outcome(302, 302, 302, 302, 302, 302, 302)},
    "home": {"GET": PUBLIC},
    "portal:network": {"GET": PUBLIC},
    "portal:methodology": {"GET": PUBLIC},
    "portal:city": {"kwargs": SLUG, "GET": PUBLIC},
    "portal:map_json": {"kwargs": SLUG, "GET": PUBLIC},
    "portal:area": {"kwargs": {"slug": "{city}", "code": "A1"}, "GET": PUBLIC},
    "portal:city_report": {"kwargs": SLUG, "GET": PUBLIC},
    "portal:area_report": {"kwargs": {"slug": "{city}", "code": "A1"}, "GET": PUBLIC},
    "portal:download": {"kwargs": {"slug": "{city}", "dataset_name": "index", "fmt": "csv"}, "GET": PUBLIC},
    "portal:indicator": {"kwargs": {"slug": "{city}", "code": "fire-incidents"}, "GET": PUBLIC},
    # Accounts: sign-in pages are open; the password change needs a session.
    "login": {"GET": PUBLIC},
    "logout": {"GET": None, "POST": outcome(302, 302, 302, 302, 302, 302, 302)},
    "two_factor_setup": {"GET": SIGNED_IN},
    "two_factor_verify": {"GET": outcome(LOGIN, 302, 302, 302, 302, 302, 302)},
    "two_factor_disable": {"GET": outcome(LOGIN, 302, 302, 302, 302, 302, 302)},
    "password_change": {"GET": SIGNED_IN},
    "password_change_done": {"GET": SIGNED_IN},
    "password_reset": {"GET": PUBLIC},
    "password_reset_done": {"GET": PUBLIC},
    "password_reset_confirm": {"kwargs": {"uidb64": "MQ", "token": "set-password"}, "GET": PUBLIC},
    "password_reset_complete": {"GET": PUBLIC},
    # Audit trail: city admins of the city and network admins; everyone else learns nothing (404).
    "audit:events": {"kwargs": CITY, "GET": AUDIT},
    "audit:export": {"kwargs": CITY, "GET": AUDIT},
    # Workspace (every view behind workspace.access.city_role)
    # With one city, the workspace home goes straight to its dashboard.
    "workspace:home": {"GET": outcome(LOGIN, 200, 200, 302, 302, 302, 200)},
    "workspace:dashboard": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "workspace:import_history": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "workspace:import_new": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "workspace:upload": {"kwargs": {"city": "{city}", "pk": "{upload}"}, "GET": WORKSPACE_ANALYST},
    "workspace:upload_status": {"kwargs": {"city": "{city}", "pk": "{upload}"}, "GET": WORKSPACE_ANALYST},
    "workspace:upload_confirm": {
        "kwargs": {"city": "{city}", "pk": "{upload}"},
        "GET": outcome(LOGIN, 403, 403, 405, 405, 404, 405),
        "POST": WORKSPACE_ANALYST_POST,
    },
    "workspace:import_run": {"kwargs": {"city": "{city}", "pk": "{run}"}, "GET": WORKSPACE_ANALYST},
    "workspace:alerts": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "workspace:alert": {"kwargs": {"city": "{city}", "pk": "{alert}"}, "GET": WORKSPACE_ANALYST},
    "workspace:alert_acknowledge": {
        "kwargs": {"city": "{city}", "pk": "{alert}"},
        "GET": outcome(LOGIN, 403, 403, 405, 405, 404, 405),
        "POST": WORKSPACE_ANALYST_POST,
    },
    "workspace:alert_assign": {
        "kwargs": {"city": "{city}", "pk": "{alert}"},
        "GET": outcome(LOGIN, 403, 403, 405, 405, 404, 405),
        "POST": WORKSPACE_ANALYST_POST,
    },
    "workspace:alert_comment": {
        "kwargs": {"city": "{city}", "pk": "{alert}"},
        "GET": outcome(LOGIN, 403, 403, 405, 405, 404, 405),
        "POST": WORKSPACE_ANALYST_POST,
    },
    "workspace:alert_resolve": {
        "kwargs": {"city": "{city}", "pk": "{alert}"},
        "GET": outcome(LOGIN, 403, 403, 405, 405, 404, 405),
        "POST": WORKSPACE_ANALYST_POST,
    },
    "workspace:index_builder": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "workspace:settings": {"kwargs": CITY, "GET": WORKSPACE_ADMIN},
    "workspace:members": {"kwargs": CITY, "GET": WORKSPACE_ADMIN},
    "workspace:member_role": {
        "kwargs": {"city": "{city}", "pk": "{membership}"},
        "GET": outcome(LOGIN, 403, 403, 403, 405, 404, 405),
        "POST": WORKSPACE_ADMIN_POST,
    },
    "workspace:member_remove": {
        "kwargs": {"city": "{city}", "pk": "{membership}"},
        "GET": outcome(LOGIN, 403, 403, 403, 405, 404, 405),
        "POST": None,  # removing the membership would change the personas; tested in workspace tests
    },
    # The admin's own sign-in page is replaced by ours (throttled, two-factor).
    "admin_login_redirect": {"GET": outcome(302, 302, 302, 302, 302, 302, 302)},
}

# Every URL of the admin namespace (and its unnamed catch-alls) follows one rule: staff only, and
# inside, each model admin shows only the rows of the cities the user has a staff role in
# (accounts/admin_scoping.py). These concrete URLs are checked; the rest are covered by the rule.
ADMIN_RULE = ADMIN
ADMIN_CHECKS: dict[str, dict] = {
    "admin:index": {"GET": ADMIN},
    "admin:places_city_changelist": {"GET": ADMIN},
    "admin:monitoring_alert_changelist": {"GET": ADMIN},
    # Another city's alert: its admin and the network admin see it; the test city's staff do not.
    "admin:monitoring_alert_change": {
        "kwargs": {"object_id": "{other_alert}"},
        "GET": outcome(LOGIN, LOGIN, LOGIN, 302, 302, 200, 200),
    },
}

# API operations, keyed "METHOD /api/v1/path" exactly as in the OpenAPI document.
API: dict[str, dict] = {
    "GET /api/v1/cities": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/areas": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/indicators": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/observations": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/index": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/hotspots": {"query": "indicator=fire-incidents", "expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/alerts": {"expect": API_PUBLIC},
    "POST /api/v1/cities/{city}/imports/{kind}": {
        "kwargs": {"kind": "observations"},
        "body": "import",
        "expect": outcome(401, 403, 403, (200, 422), (200, 422), 404, (200, 422)),
    },
    "GET /api/v1/cities/{city}/import-runs": {"expect": API_ANALYST},
    "GET /api/v1/cities/{city}/import-runs/{run_id}": {"kwargs": {"run_id": "{run}"}, "expect": API_ANALYST},
    "GET /api/v1/cities/{city}/official/alerts": {"expect": API_ANALYST},
    "GET /api/v1/cities/{city}/official/alerts/{alert_id}": {"kwargs": {"alert_id": "{alert}"}, "expect": API_ANALYST},
    "POST /api/v1/cities/{city}/official/alerts/{alert_id}/acknowledge": {
        "kwargs": {"alert_id": "{alert}"},
        "expect": API_ANALYST_WRITE,
    },
    "POST /api/v1/cities/{city}/official/alerts/{alert_id}/assign": {
        "kwargs": {"alert_id": "{alert}"},
        "body": {"assignee": None},
        "expect": API_ANALYST,
    },
    "POST /api/v1/cities/{city}/official/alerts/{alert_id}/resolve": {
        "kwargs": {"alert_id": "{alert}"},
        "expect": API_ANALYST_WRITE,
    },
    "POST /api/v1/cities/{city}/compute": {"expect": outcome(401, 403, 403, 202, 202, 404, 202)},
    "POST /api/v1/cities/{city}/allocate": {
        "body": {"budget": 1000},
        "expect": outcome(401, 403, 403, (200, 422), (200, 422), 404, (200, 422)),
    },
    "GET /api/v1/cities/{city}/index-definitions": {"expect": API_ANALYST},
    "POST /api/v1/cities/{city}/index-definitions": {
        "body": "definition",
        "expect": outcome(401, 403, 403, (201, 409, 422), (201, 409, 422), 404, (201, 409, 422)),
    },
    "GET /api/v1/cities/{city}/official/index": {"expect": API_ANALYST},
    "GET /api/v1/me": {"expect": API_SIGNED_IN},
    "GET /api/v1/tokens": {"expect": API_SIGNED_IN},
    "POST /api/v1/tokens": {"body": {"scopes": ["read"]}, "expect": outcome(401, 201, 201, 201, 201, 201, 201)},
    "DELETE /api/v1/tokens/{prefix}": {
        "kwargs": {"prefix": "000000000000"},
        "expect": outcome(401, 404, 404, 404, 404, 404, 404),
    },
}

# URL patterns of the API that are not operations of the OpenAPI document.
API_EXTRA: dict[str, dict] = {
    "api:openapi-json": {"GET": PUBLIC},
    "api:api-root": {"GET": outcome(404, 404, 404, 404, 404, 404, 404)},
    "api:not_found": {"kwargs": {"rest": "no/such/thing"}, "GET": outcome(404, 404, 404, 404, 404, 404, 404)},
}


def _merge_fragments() -> list:
    """Add each app's part of the matrix (tests/authz/); a name defined twice is an error."""
    from importlib import import_module

    from tests.authz import FRAGMENTS

    modules = [import_module(f"tests.authz.{name}") for name in FRAGMENTS]
    for module in modules:
        for target, part in ((PAGES, module.PAGES), (API, module.API)):
            clash = set(target) & set(part)
            assert not clash, f"{module.__name__} redefines matrix entries {sorted(clash)}"
            target.update(part)
    return modules


FRAGMENT_MODULES = _merge_fragments()
