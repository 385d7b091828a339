from __future__ import annotations

import json

import pytest
from django.test import Client

from safercities.portal.tests.factories import build_small_city
from safercities.reports import actions
from safercities.reports.models import Report
from safercities.reports.tests.factories import setup_categories


@pytest.fixture
def world(city, settings):
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""
    from django.core.cache import cache

    cache.clear()
    build_small_city(city)
    return setup_categories(city)


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_anonymous_post_files_a_report(world, city):
    response = post(
        Client(),
        "/api/v1/cities/testville/reports",
        {"category": "lighting", "description": "The lamp is out again.", "area": "A1"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("R-") and "/reports/track/" in body["tracking_url"]
    report = Report.objects.get(reference=body["reference"])
    assert report.source == "api" and report.user is None
    assert report.token_hash == actions.hash_token(body["token"])
