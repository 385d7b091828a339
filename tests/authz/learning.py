"""Authorisation matrix entries of the learning app (see tests/authz/__init__.py).

Everything is public; a private city's indicator guide and walkthrough are 404 to outsiders like its
portal pages (tested in safercities/learning/tests).
"""

from __future__ import annotations

from tests.authorization_matrix import PUBLIC, SLUG

PAGES: dict[str, dict] = {
    "learning:home": {"GET": PUBLIC},
    "learning:human_security": {"GET": PUBLIC},
    "learning:indicators": {"GET": PUBLIC},
    "learning:city_indicators": {"kwargs": SLUG, "GET": PUBLIC},
    "learning:methods": {"GET": PUBLIC},
    "learning:audit_walk": {"GET": PUBLIC},
    "learning:walkthrough": {"GET": PUBLIC},
    "learning:city_walkthrough": {"kwargs": SLUG, "GET": PUBLIC},
}
API: dict[str, dict] = {}
POST_DATA: dict[str, dict] = {}


def objects(city, other_city, users) -> dict:
    """Records the URLs above need; returns their placeholders."""
    return {}
