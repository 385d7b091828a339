"""Authorisation matrix entries of the reports app (see tests/authz/__init__.py)."""

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
REPORT = {"city": "{city}", "pk": "{report_pk}"}
PUBLISHED = {"city": "{city}", "reference": "{report_ref}"}
POST_ONLY_ANALYST = outcome(LOGIN, 403, 403, 405, 405, 404, 405)
POST_ONLY_ADMIN = outcome(LOGIN, 403, 403, 403, 405, 404, 405)
EVERYONE_REDIRECTED = outcome(302, 302, 302, 302, 302, 302, 302)

PAGES: dict[str, dict] = {
    # Residents: open to everybody (a private city's pages are 404 to outsiders, tested in the app).
    "reports:list": {"kwargs": CITY, "GET": PUBLIC},
    "reports:new": {"kwargs": CITY, "GET": PUBLIC, "POST": EVERYONE_REDIRECTED},
    "reports:accountability": {"kwargs": CITY, "GET": PUBLIC},
    "reports:track": {"kwargs": {"token": "{report_token}"}, "GET": PUBLIC},
    "reports:detail": {"kwargs": PUBLISHED, "GET": PUBLIC},
    "reports:support": {"kwargs": PUBLISHED, "GET": outcome(*[405] * 7), "POST": EVERYONE_REDIRECTED},
    "reports:comment": {"kwargs": PUBLISHED, "GET": outcome(*[405] * 7), "POST": EVERYONE_REDIRECTED},
    # Staff: the queue is for analysts and up of the city.
    "reports:queue": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "reports:comments": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    "reports:comment_moderate": {
        "kwargs": {"city": "{city}", "pk": "{comment_pk}"},
        "GET": POST_ONLY_ANALYST,
        "POST": WORKSPACE_ANALYST_POST,
    },
    "reports:manage": {"kwargs": REPORT, "GET": WORKSPACE_ANALYST},
    "reports:publish": {"kwargs": REPORT, "GET": POST_ONLY_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "reports:moderate": {"kwargs": REPORT, "GET": POST_ONLY_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "reports:assign": {"kwargs": REPORT, "GET": POST_ONLY_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "reports:update": {"kwargs": REPORT, "GET": POST_ONLY_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "reports:merge": {"kwargs": REPORT, "GET": POST_ONLY_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "reports:photo": {"kwargs": REPORT, "GET": WORKSPACE_ANALYST},
    # City admins: who reads sensitive reports, and a person's data (access, erasure).
    "reports:sensitive_access": {"kwargs": CITY, "GET": WORKSPACE_ADMIN, "POST": WORKSPACE_ADMIN_POST},
    "reports:sensitive_revoke": {
        "kwargs": {"city": "{city}", "pk": "{access_pk}"},
        "GET": POST_ONLY_ADMIN,
        "POST": WORKSPACE_ADMIN_POST,
    },
    "reports:person": {"kwargs": CITY, "GET": WORKSPACE_ADMIN, "POST": WORKSPACE_ADMIN_POST},
}
API: dict[str, dict] = {
    "GET /api/v1/cities/{city}/reports": {"expect": API_PUBLIC},
    "GET /api/v1/cities/{city}/reports/{reference}": {"kwargs": {"reference": "{report_ref}"}, "expect": API_PUBLIC},
    "POST /api/v1/cities/{city}/reports": {
        "body": {"category": "lighting", "description": "The street lamp is broken.", "area": "A1"},
        "expect": outcome(201, 201, 201, 201, 201, 201, 201),
    },
    "GET /api/v1/cities/{city}/official/reports": {"expect": API_ANALYST},
    "POST /api/v1/cities/{city}/official/reports/{reference}/updates": {
        "kwargs": {"reference": "{report_ref}"},
        "body": {"text": "We are checking."},
        "expect": API_ANALYST,
    },
}
POST_DATA: dict[str, dict] = {
    "reports:new": {
        "category": "lighting",
        "description": "The street lamp is broken.",
        "area": "A1",
        "consent": "on",
    },
    "reports:support": {},
    "reports:comment": {"text": "Same on my street."},
    "reports:comment_moderate": {"state": "approved"},
    "reports:publish": {"public_text": "A broken street lamp."},
    "reports:moderate": {"verdict": "pending"},
    "reports:assign": {"department": ""},
    "reports:update": {"text": "We are checking.", "public": "on"},
    "reports:merge": {"into": "R-NOPE00"},
    "reports:sensitive_access": {"username": "ana"},
    "reports:sensitive_revoke": {},
    "reports:person": {"email": "someone@example.org", "action": "find"},
}


def objects(city, other_city, users) -> dict:
    """Records the URLs above need; returns their placeholders."""
    import io

    from django.core.cache import cache
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from safercities.indicators.models import Dimension
    from safercities.places.models import Area
    from safercities.reports import actions
    from safercities.reports.models import ReportCategory, SensitiveAccess

    cache.clear()  # the form's per-client rate limit lives in the cache: every persona starts afresh
    category = ReportCategory.objects.create(
        city=city, code="lighting", name="Street lighting", dimension=Dimension.objects.get(code="community")
    )
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="JPEG")
    report, token = actions.submit_report(
        city=city,
        category=category,
        description="The lamp on the corner has been out for a week.",
        area=Area.objects.get(city=city, code="A1"),
        photo=SimpleUploadedFile("lamp.jpg", buffer.getvalue(), content_type="image/jpeg"),
    )
    published, _token = actions.submit_report(
        city=city, category=category, description="Dark street near the school.", area=report.area
    )
    actions.publish(published, user=users["alice"], public_text="Dark street near the school.")
    item = actions.comment(published, user=None, text="I walk there every day.")
    access = SensitiveAccess.objects.create(city=city, user=users["alice"])
    return {
        "report_pk": report.pk,
        "report_token": token,
        "report_ref": published.reference,
        "comment_pk": item.pk,
        "access_pk": access.pk,
    }
