"""Authorisation matrix entries of the surveys app (see tests/authz/__init__.py)."""

from __future__ import annotations

from tests.authorization_matrix import outcome  # noqa: F401  (the shared vocabulary)

PAGES: dict[str, dict] = {}
API: dict[str, dict] = {}
POST_DATA: dict[str, dict] = {}


def objects(city, other_city, users) -> dict:
    """Records the URLs above need; returns their placeholders."""
    return {}
