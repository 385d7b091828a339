from __future__ import annotations

import json

import pytest
from django.test import Client

from safercities.portal.tests.factories import build_small_city
from safercities.reports import actions
from safercities.reports.models import Report
from safercities.reports.tests.factories import A1_POINT, setup_categories


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


def test_hostile_posts_are_422_and_write_nothing(world, city):
    client = Client()
    url = "/api/v1/cities/testville/reports"
    for body in (
        {"category": "nope", "description": "The lamp is out again.", "area": "A1"},
        {"category": "lighting", "description": "x" * 19000, "area": "A1"},
        {"category": "lighting", "description": "The lamp is out again.", "lat": 51.5, "lon": -0.1},
        {"category": "lighting", "description": "The lamp is out again.", "area": "'; DROP TABLE x; --"},
        {"category": "lighting", "description": "The lamp is out again."},
    ):
        cache_clear()
        response = post(client, url, body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["error"]["details"], body
    assert post(client, url, {"category": 5, "description": None}).status_code == 422
    assert client.post(url, "{not json", content_type="application/json").status_code in (400, 422)
    assert Report.objects.count() == 0


def cache_clear():
    from django.core.cache import cache

    cache.clear()


def test_api_post_is_rate_limited(world, city, settings):
    settings.REPORTS_RATE_LIMIT = 1
    client = Client()
    body = {"category": "lighting", "description": "The lamp is out again.", "area": "A1"}
    assert post(client, "/api/v1/cities/testville/reports", body).status_code == 201
    assert post(client, "/api/v1/cities/testville/reports", body).status_code == 429


def test_public_list_and_detail_never_carry_exact_points_or_private_text(world, city, ana):
    report, _token = actions.submit_report(
        city=city,
        category=world["lighting"],
        description="Call me on 555-0101, lamp out.",
        lat=A1_POINT[0],
        lon=A1_POINT[1],
        contact_email="x@example.org",
    )
    actions.publish(report, user=ana, public_text="Lamp out.")
    listing = Client().get("/api/v1/cities/testville/reports?page_size=10").json()
    assert listing["count"] == 1 and listing["page_size"] == 10
    item = listing["results"][0]
    assert item["text"] == "Lamp out." and item["location"]["resolution"] == 8
    assert item["location"]["lat"] != A1_POINT[0]
    detail = Client().get(f"/api/v1/cities/testville/reports/{report.reference}").json()
    text = json.dumps(detail) + json.dumps(listing)
    assert "555-0101" not in text and "x@example.org" not in text and str(A1_POINT[0]) not in text


def test_official_updates_with_a_write_token(world, city, ana, rita):
    from safercities.api.tokens import create_token

    report, _token = actions.submit_report(
        city=city, category=world["lighting"], description="Lamp out on the corner.", area=None, address="Elm St"
    )
    url = f"/api/v1/cities/testville/official/reports/{report.reference}/updates"
    _t, read_only = create_token(user=ana, scopes=["read"])
    _t, write = create_token(user=ana, scopes=["read", "write"])
    _t, resident = create_token(user=rita, scopes=["read", "write"])
    body = json.dumps({"status": "acknowledged", "text": "On it."})
    assert Client().post(url, body, content_type="application/json").status_code == 401
    auth = {"HTTP_AUTHORIZATION": f"Bearer {read_only}"}
    assert Client().post(url, body, content_type="application/json", **auth).status_code == 403
    auth = {"HTTP_AUTHORIZATION": f"Bearer {resident}"}
    assert Client().post(url, body, content_type="application/json", **auth).status_code == 403
    auth = {"HTTP_AUTHORIZATION": f"Bearer {write}"}
    response = Client().post(url, body, content_type="application/json", **auth)
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    again = Client().post(url, json.dumps({"status": "received"}), content_type="application/json", **auth)
    assert again.status_code == 409
    listing = Client().get("/api/v1/cities/testville/official/reports", **auth).json()
    assert listing["results"][0]["reference"] == report.reference
    assert "contact_email" not in listing["results"][0]


def test_staff_list_hides_sensitive_details_from_undesignated_staff(world, city, ana):
    actions.submit_report(
        city=city, category=world["gbv"], description="Private account of what happened.", address="Elm St"
    )
    client = Client()
    client.force_login(ana)
    item = client.get("/api/v1/cities/testville/official/reports").json()["results"][0]
    assert "description" not in item and item["sensitive"] is True
