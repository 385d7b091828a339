"""Authorisation matrix entries of the crises app (see tests/authz/__init__.py).

Analysts and above of the city manage crises, the 4W and scenarios; declaring, ending and publishing
is for the city admin; the public page of a published crisis is open to everybody who may see the city.
"""

from __future__ import annotations

from tests.authorization_matrix import (
    API_ANALYST,
    API_PUBLIC,
    LOGIN,
    PUBLIC,
    WORKSPACE_ADMIN,
    WORKSPACE_ADMIN_POST,
    WORKSPACE_ANALYST,
    WORKSPACE_ANALYST_POST,
    outcome,
)

CITY = {"city": "{city}"}
CRISIS = {"city": "{city}", "pk": "{crisis}"}
SCENARIO = {"city": "{city}", "pk": "{crisis}", "sid": "{crisis_scenario}"}
POST_ONLY_ANALYST = outcome(LOGIN, 403, 403, 405, 405, 404, 405)
POST_ONLY_ADMIN = outcome(LOGIN, 403, 403, 403, 405, 404, 405)
# A POST that redirects back to the crisis whatever the form said.
ANALYST_REDIRECT = outcome(LOGIN, 403, 403, 302, 302, 404, 302)
ADMIN_REDIRECT = outcome(LOGIN, 403, 403, 403, 302, 404, 302)

PAGES: dict[str, dict] = {
    "crises:list": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "crises:new": {"kwargs": CITY, "GET": WORKSPACE_ADMIN, "POST": WORKSPACE_ADMIN_POST},
    "crises:from_alert": {
        "kwargs": {"city": "{city}", "alert_id": "{alert}"},
        "GET": WORKSPACE_ADMIN,
        "POST": WORKSPACE_ADMIN_POST,
    },
    "crises:detail": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST},
    "crises:edit": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "crises:phase": {"kwargs": CRISIS, "GET": POST_ONLY_ANALYST, "POST": ANALYST_REDIRECT},
    "crises:end": {"kwargs": CRISIS, "GET": POST_ONLY_ADMIN, "POST": ADMIN_REDIRECT},
    "crises:publish": {"kwargs": CRISIS, "GET": POST_ONLY_ADMIN, "POST": ADMIN_REDIRECT},
    "crises:checklist": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST, "POST": ANALYST_REDIRECT},
    "crises:fourw": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "crises:activity_new": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "crises:activity_delete": {
        "kwargs": {"city": "{city}", "pk": "{crisis}", "aid": "{crisis_activity}"},
        "GET": POST_ONLY_ANALYST,
        "POST": ANALYST_REDIRECT,
    },
    "crises:fourw_export": {"kwargs": {**CRISIS, "fmt": "csv"}, "GET": WORKSPACE_ANALYST},
    "crises:allocation": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "crises:scenario_export": {"kwargs": {**SCENARIO, "fmt": "xlsx"}, "GET": WORKSPACE_ANALYST},
    "crises:recovery": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST},
    "crises:sitrep": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST},
    "crises:sitrep_pdf": {"kwargs": CRISIS, "GET": WORKSPACE_ANALYST},
    # Published in objects(); an unpublished crisis is 404 (tested in the app).
    "crises:public": {"kwargs": CRISIS, "GET": PUBLIC},
    # Last: it deletes the scenario the export above reads.
    "crises:scenario_delete": {"kwargs": SCENARIO, "GET": POST_ONLY_ANALYST, "POST": ANALYST_REDIRECT},
}

API: dict[str, dict] = {
    "GET /api/v1/cities/{city}/crises": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/crises/{crisis_id}/activities": {
        "kwargs": {"crisis_id": "{crisis}"},
        "expect": API_ANALYST,
    },
    "POST /api/v1/cities/{city}/crises/{crisis_id}/activities/import": {
        "kwargs": {"crisis_id": "{crisis}"},
        "body": "import",
        "expect": outcome(401, 403, 403, (200, 422), (200, 422), 404, (200, 422)),
    },
}

POST_DATA: dict[str, dict] = {
    "crises:phase": {"phase": "recover", "note": "matrix"},
    "crises:end": {"ended_on": "2024-12-31"},
    "crises:publish": {"published": "1"},
    "crises:checklist": {"s-0-focal-point": "done"},
    "crises:new": {"name": ""},
    "crises:from_alert": {"name": ""},
    "crises:edit": {"name": ""},
    "crises:allocation": {"name": ""},
    "crises:activity_new": {"description": ""},
}


def objects(city, other_city, users) -> dict:
    """A published crisis over the test city's areas, with one allocation scenario."""
    from datetime import date
    from decimal import Decimal

    from safercities.crises.models import Activity, Crisis, Organisation, Scenario
    from safercities.places.models import Area

    crisis = Crisis.objects.create(
        city=city, name="Matrix flood", hazard="flood", phase="respond", started_on=date(2024, 6, 1), is_published=True
    )
    crisis.areas.set(Area.objects.filter(city=city, level="neighbourhood"))
    scenario = Scenario.objects.create(city=city, crisis=crisis, name="Matrix", budget=Decimal("1000"))
    organisation = Organisation.objects.create(city=city, name="Matrix relief")
    activity = Activity.objects.create(
        city=city,
        crisis=crisis,
        ref="M-1",
        organisation=organisation,
        sector="health",
        description="Matrix clinic",
        area=Area.objects.get(city=city, code="A1"),
        start=date(2024, 6, 2),
    )
    return {"crisis": crisis.pk, "crisis_scenario": scenario.pk, "crisis_activity": activity.pk}
