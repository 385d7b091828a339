"""Authorisation matrix entries of the practices app (see tests/authz/__init__.py).

The library and published practices are open to everyone; writing needs an analyst of the city,
publishing its city admin; moderation the city's staff or a network admin; commenting a session.
"""

from __future__ import annotations

from tests.authorization_matrix import (
    CITY,
    PUBLIC,
    SLUG,
    WORKSPACE_ADMIN_POST,
    WORKSPACE_ANALYST,
    WORKSPACE_ANALYST_POST,
    outcome,
)

POST_ONLY_ANALYST = outcome("login", 403, 403, 405, 405, 404, 405)
POST_ONLY_ADMIN = outcome("login", 403, 403, 403, 405, 404, 405)

PAGES: dict[str, dict] = {
    "practices:library": {"GET": PUBLIC},
    "practices:detail": {"kwargs": {"pk": "{practice}"}, "GET": PUBLIC},
    "practices:comment": {
        "kwargs": {"pk": "{practice}"},
        "GET": outcome(405, 405, 405, 405, 405, 405, 405),
        "POST": outcome("login", 302, 302, 302, 302, 302, 302),
    },
    "practices:city": {"kwargs": SLUG, "GET": PUBLIC},
    "practices:manage": {"kwargs": CITY, "GET": WORKSPACE_ANALYST},
    # An empty form: the editor answers 200 with the errors, nothing is written.
    "practices:new": {"kwargs": CITY, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "practices:edit": {"kwargs": {"city": "{city}", "pk": "{draft_practice}"}, "GET": WORKSPACE_ANALYST},
    "practices:publish": {
        "kwargs": {"city": "{city}", "pk": "{draft_practice}"},
        "GET": POST_ONLY_ADMIN,
        "POST": WORKSPACE_ADMIN_POST,
    },
    "practices:moderate": {
        "kwargs": {"city": "{city}", "pk": "{practice_comment}"},
        "GET": POST_ONLY_ANALYST,
        "POST": WORKSPACE_ANALYST_POST,
    },
}
API: dict[str, dict] = {
    "GET /api/v1/practices": {"query": "q=alumbrado", "expect": PUBLIC},
    "GET /api/v1/practices/{practice_id}": {"kwargs": {"practice_id": "{practice}"}, "expect": PUBLIC},
}
POST_DATA: dict[str, dict] = {
    "practices:comment": {"text": "Useful, thank you."},
    "practices:new": {},
    "practices:publish": {"status": "published"},
    "practices:moderate": {"decision": "approve"},
}


def objects(city, other_city, users) -> dict:
    """Records the URLs above need; returns their placeholders."""
    from safercities.practices.models import Comment, Practice
    from safercities.practices.tests.factories import make_practice

    published = make_practice(city, language="es", title_es="Alumbrado público")
    draft = make_practice(city, title_en="Draft", status=Practice.DRAFT)
    comment = Comment.objects.create(
        practice=published, city=city, author=users["rita"], author_name="rita", text="¿Cuánto costó?"
    )
    return {"practice": published.pk, "draft_practice": draft.pk, "practice_comment": comment.pk}
