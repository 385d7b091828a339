"""The library's JSON API: same visibility and search as the pages."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from safercities.practices.models import Practice
from safercities.practices.tests.factories import make_practice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_throttle(settings):
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""


def get(url: str, **params):
    response = Client().get(url, params)
    return response.status_code, json.loads(response.content)


def test_search_across_languages_and_filters(city, other_city):
    ours = make_practice(city, language="es", title_es="Alumbrado público", dimensions=["personal"])
    make_practice(other_city, title_en="Flood shelters", phase=Practice.PREPARE)
    make_practice(city, title_en="Secret draft lighting", status=Practice.DRAFT)
    status, body = get("/api/v1/practices", q="street lighting")
    assert status == 200
    assert [r["id"] for r in body["results"]] == [ours.pk]
    assert body["results"][0]["text"]["es"]["title"] == "Alumbrado público"
    assert "en" not in body["results"][0]["text"]
    _, body = get("/api/v1/practices", phase="prepare")
    assert [r["text"]["en"]["title"] for r in body["results"]] == ["Flood shelters"]
    _, body = get("/api/v1/practices", country="za")
    assert body["count"] == 1
    _, body = get("/api/v1/practices", dimension="personal")
    assert body["count"] == 1


def test_one_practice_and_hidden_ones(city):
    published = make_practice(city, title_en="Open")
    draft = make_practice(city, title_en="Draft", status=Practice.DRAFT)
    assert get(f"/api/v1/practices/{published.pk}")[0] == 200
    status, body = get(f"/api/v1/practices/{draft.pk}")
    assert status == 404 and set(body["error"]) >= {"code", "message", "details"}
    assert get("/api/v1/practices/99999999999999999999")[0] in (404, 422)


@pytest.mark.parametrize("params", [{"q": "x" * 300}, {"q": "a\x00b"}, {"page": "0"}, {"country": "ZZZ"}, {"q": '"*'}])
def test_hostile_queries_are_answered(city, params):
    make_practice(city, title_en="Lighting")
    status, body = get("/api/v1/practices", **params)
    assert status in (200, 400, 422)
    if status != 200:
        assert "error" in body
