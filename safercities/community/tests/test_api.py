"""The public JSON operations: only public actions, the dashboard's figures, a private city hidden."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.test import Client

from safercities.community.models import Action

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""


def _make(city, area, **extra):
    values = {
        "title": "A",
        "owner_department": "Works",
        "area": area,
        "start_date": date(2024, 1, 1),
        "due_date": date(2024, 2, 1),
        **extra,
    }
    return Action.objects.create(city=city, **values)


def test_actions_and_accountability(city, area):
    _make(city, area, title="Late")
    _make(city, area, title="Done", status="done")
    _make(city, area, title="Secret", is_public=False)
    body = json.loads(Client().get("/api/v1/cities/testville/actions").content)
    assert body["count"] == 2 and {r["title"] for r in body["results"]} == {"Late", "Done"}
    late = next(r for r in body["results"] if r["title"] == "Late")
    assert late["overdue"] is True and late["area"] == "A1"
    done = json.loads(Client().get("/api/v1/cities/testville/actions?status=done").content)
    assert [r["title"] for r in done["results"]] == ["Done"]
    bad = Client().get("/api/v1/cities/testville/actions?status=<x>")
    assert bad.status_code == 422 and json.loads(bad.content)["error"]["details"][0]["field"] == "status"
    figures = json.loads(Client().get("/api/v1/cities/testville/accountability").content)
    assert figures["overall"] == {"label": "All actions", "actions": 2, "done": 1, "overdue": 1, "completion_rate": 50}


def test_a_private_city_is_404(city, oscar):
    city.is_public = False
    city.save()
    for path in ("actions", "accountability"):
        assert Client().get(f"/api/v1/cities/testville/{path}").status_code == 404
