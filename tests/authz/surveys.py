"""Authorisation matrix entries of the surveys app (see tests/authz/__init__.py)."""

from __future__ import annotations

from tests.authorization_matrix import (
    LOGIN,
    PUBLIC,
    WORKSPACE_ANALYST,
    WORKSPACE_ANALYST_POST,
    outcome,
)

ROUND = {"city": "{city}", "pk": "{survey_round}"}
POST_ONLY = outcome(LOGIN, 403, 403, 405, 405, 404, 405)

PAGES: dict[str, dict] = {
    # The questionnaire is public (404 for a private city, tested in safercities/surveys/tests).
    "surveys:city": {"kwargs": {"city": "{city}"}, "GET": PUBLIC},
    # An empty POST is the form again with its errors (200); only complete sheets use the client's budget.
    "surveys:take": {"kwargs": ROUND, "GET": PUBLIC, "POST": PUBLIC},
    "surveys:thanks": {"kwargs": ROUND, "GET": PUBLIC},
    "surveys:rounds": {"kwargs": {"city": "{city}"}, "GET": WORKSPACE_ANALYST, "POST": WORKSPACE_ANALYST_POST},
    "surveys:results": {"kwargs": ROUND, "GET": WORKSPACE_ANALYST},
    "surveys:results_csv": {"kwargs": ROUND, "GET": WORKSPACE_ANALYST},
    "surveys:compute": {"kwargs": ROUND, "GET": POST_ONLY, "POST": WORKSPACE_ANALYST_POST},
    "surveys:toggle": {"kwargs": ROUND, "GET": POST_ONLY, "POST": WORKSPACE_ANALYST_POST},
}
API: dict[str, dict] = {}
POST_DATA: dict[str, dict] = {
    "surveys:rounds": {"title": "", "period": "", "area_level": ""},
}


def objects(city, other_city, users) -> dict:
    """Records the URLs above need; returns their placeholders."""
    from safercities.surveys.models import SurveyRound

    survey = SurveyRound.objects.create(city=city, title="Matrix round", period="2026", area_level="neighbourhood")
    return {"survey_round": survey.pk}
