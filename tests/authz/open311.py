"""Authorisation matrix entries of the open311 app (see tests/authz/__init__.py).

Open311 is public and the same for everyone (a private city is 404 to outsiders: tested in
safercities/open311/tests). The test world has two public cities, so the list calls without
``jurisdiction_id`` (the matrix adds no query string) answer 400 in the specification's error shape.
"""

from __future__ import annotations

from tests.authorization_matrix import PUBLIC, outcome

EVERYONE_400 = outcome(*[400] * 7)
JSON = {"fmt": "json"}

PAGES: dict[str, dict] = {
    "open311:services": {"kwargs": JSON, "GET": EVERYONE_400},
    "open311:service_definition": {"kwargs": {"code": "o311-lighting", "fmt": "json"}, "GET": EVERYONE_400},
    # POST files a report anonymously (201), or the per-client budget answers 429.
    "open311:requests": {"kwargs": JSON, "GET": EVERYONE_400, "POST": outcome(*[(201, 429)] * 7)},
    "open311:request": {"kwargs": {"request_id": "{o311_report}", "fmt": "json"}, "GET": PUBLIC},
    "open311:token": {"kwargs": {"token": "{o311_token}", "fmt": "json"}, "GET": PUBLIC},
}
API: dict[str, dict] = {}
POST_DATA: dict[str, dict] = {
    "open311:requests": {
        "jurisdiction_id": "testville",
        "service_code": "o311-lighting",
        "description": "Street light out on the corner for a week.",
        "address_string": "Corner of 5th and Main",
    },
}


def objects(city, other_city, users) -> dict:
    """Records the URLs above need; returns their placeholders."""
    from safercities.indicators.models import Dimension
    from safercities.reports.actions import submit_report
    from safercities.reports.models import Report, ReportCategory

    category = ReportCategory.objects.create(
        city=city, code="o311-lighting", name="Broken street light", dimension=Dimension.objects.get(code="community")
    )
    report, token = submit_report(
        city=city, category=category, description="A light is out near the school.", address="School", source="open311"
    )
    Report.objects.filter(pk=report.pk).update(moderation=Report.PUBLISHED, public_text="A light is out.")
    return {"o311_report": report.reference, "o311_token": token}
