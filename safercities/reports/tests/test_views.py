"""The pages: the form without JavaScript, tracking, public pages, the staff queue and its rules."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from safercities.places.models import City
from safercities.portal.tests.factories import build_small_city
from safercities.reports import actions
from safercities.reports.models import Report, SensitiveAccess
from safercities.reports.tests.factories import A1_POINT, jpeg, setup_categories, upload

FORM = {
    "category": "lighting",
    "description": "The street lamp at the corner is broken.",
    "area": "A1",
    "consent": "on",
}


@pytest.fixture
def cats(city, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWO_FACTOR_REQUIRED = False
    cache.clear()
    build_small_city(city)
    return setup_categories(city)


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_form_page_is_small_and_works_without_javascript(cats, city):
    client = Client()
    page = client.get("/en/reports/testville/new/")
    assert page.status_code == 200
    # The whole page without images: its HTML (the SVG map included) plus the stylesheets and the script
    # it loads, uncompressed. Measured: 6.7 KB of HTML + 12 KB of assets here; 28.9 KB of HTML for the
    # demo city (docs/participation.md).
    from pathlib import Path

    from django.conf import settings as django_settings

    assets = [
        Path(django_settings.BASE_DIR) / "safercities" / "static" / "css" / "site.css",
        Path(__file__).resolve().parents[1] / "static" / "reports" / "reports.css",
        Path(__file__).resolve().parents[1] / "static" / "reports" / "reports.js",
    ]
    total = len(page.content) + sum(path.stat().st_size for path in assets)
    assert total <= 60 * 1024, total
    html = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html and 'name="website"' in html and "<script src=" in html
    response = client.post("/en/reports/testville/new/", FORM)
    assert response.status_code == 302
    track = client.get(response["Location"])
    report = Report.objects.get()
    assert report.reference in track.content.decode()
    assert "private tracking link" in track.content.decode()
    assert report.user is None and report.area.code == "A1"


def test_spanish_form(cats, city):
    page = Client().get("/es/reports/testville/new/")
    html = page.content.decode()
    assert "Alumbrado público" in html and "Enviar" in html


def test_form_errors_name_the_field_and_never_500(cats, city):
    client = Client()
    for hostile in (
        {**FORM, "description": "x" * 200_000},
        {**FORM, "lat": "abc", "lon": "1"},
        {**FORM, "lat": "51.5", "lon": "-0.1"},
        {**FORM, "category": "' OR 1=1 --"},
        {**FORM, "area": "<script>"},
        {key: value for key, value in FORM.items() if key != "consent"},
    ):
        cache.clear()
        response = client.post("/en/reports/testville/new/", hostile)
        assert response.status_code == 400, hostile
        assert 'class="error"' in response.content.decode()
    cache.clear()
    response = client.post("/en/reports/testville/new/", {**FORM, "photo": upload(b"not an image", "x.png")})
    assert response.status_code == 400 and "not an image" in response.content.decode()
    assert Report.objects.count() == 0


def test_honeypot_and_rate_limit(cats, city, settings):
    client = Client()
    response = client.post("/en/reports/testville/new/", {**FORM, "website": "http://spam.example"})
    assert response.status_code == 200 and Report.objects.count() == 0
    cache.clear()
    settings.REPORTS_RATE_LIMIT = 2
    assert client.post("/en/reports/testville/new/", FORM).status_code == 302
    assert client.post("/en/reports/testville/new/", FORM).status_code == 302
    assert client.post("/en/reports/testville/new/", FORM).status_code == 429
    assert Report.objects.count() == 2
    # The client address is never stored with the report.
    assert all("127.0.0.1" not in json.dumps(list(Report.objects.values())[0], default=str) for _ in [0])


def test_sensitive_report_without_identity_shows_referral(cats, city, rita):
    client = signed_in(rita)
    data = {**FORM, "category": "gbv", "anonymous": "on", "contact_email": "me@example.org"}
    response = client.post("/en/reports/testville/new/", data)
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.user is None and report.contact_email == "" and not report.has_contact
    page = client.get(response["Location"]).content.decode()
    assert "Women&#x27;s helpline" in page or "Women's helpline" in page


def test_published_report_pages_show_only_the_public_place(cats, city, ana):
    report, _t = actions.submit_report(
        city=city,
        category=cats["gbv"],
        description="Harassed at the bus stop by a man.",
        lat=A1_POINT[0],
        lon=A1_POINT[1],
        address="Bus stop 4, Elm St",
    )
    actions.publish(report, user=ana, public_text="Harassment at a bus stop.")
    for url in ("/en/reports/testville/", f"/en/reports/testville/{report.reference}/"):
        html = Client().get(url).content.decode()
        assert report.reference in html
        assert "Elm St" not in html and "bus stop by a man" not in html
        assert f"{A1_POINT[0]:.4f}" not in html
    api = Client().get("/api/v1/cities/testville/reports").json()
    assert api["count"] == 1
    place = api["results"][0]["location"]
    assert place["resolution"] == 7 and place["address"] == ""
    assert (place["lat"], place["lon"]) != A1_POINT
    text = json.dumps(api)
    assert "bus stop by a man" not in text and "contact" not in text


def test_unpublished_and_spam_reports_are_not_public(cats, city, ana):
    report, _t = actions.submit_report(
        city=city, category=cats["lighting"], description="Lamp is out here.", address="x"
    )
    assert Client().get(f"/en/reports/testville/{report.reference}/").status_code == 404
    actions.publish(report, user=ana, public_text="Lamp out")
    assert Client().get(f"/en/reports/testville/{report.reference}/").status_code == 200
    actions.moderate(report, user=ana, verdict="spam")
    assert Client().get(f"/en/reports/testville/{report.reference}/").status_code == 404
    assert Client().get(f"/api/v1/cities/testville/reports/{report.reference}").status_code == 404


def test_private_city_pages_are_404_to_outsiders(cats, city, rita, oscar):
    City.objects.filter(pk=city.pk).update(is_public=False)
    for client, expected in ((Client(), 404), (signed_in(oscar), 404), (signed_in(rita), 200)):
        assert client.get("/en/reports/testville/new/").status_code == expected
        assert client.get("/en/reports/testville/").status_code == expected
        assert client.get("/api/v1/cities/testville/reports").status_code == expected


def test_support_once_per_session_and_comment_moderation(cats, city, ana):
    report, _t = actions.submit_report(
        city=city, category=cats["lighting"], description="Lamp is out here.", address="x"
    )
    actions.publish(report, user=ana, public_text="Lamp out")
    client = Client()
    url = f"/en/reports/testville/{report.reference}/"
    client.post(url + "support/")
    client.post(url + "support/")
    assert report.supports.count() == 1
    Client().post(url + "support/")
    assert report.supports.count() == 2
    client.post(url + "comment/", {"text": "It is very dark at night."})
    assert "very dark" not in client.get(url).content.decode()
    staff = signed_in(ana)
    item = report.comments.get()
    assert staff.post(f"/en/reports/testville/queue/comments/{item.pk}/", {"state": "approved"}).status_code == 302
    assert "very dark" in client.get(url).content.decode()


def test_official_moderates_routes_answers_and_resolves(cats, city, ana, mailoutbox):
    report, token = actions.submit_report(
        city=city,
        category=cats["lighting"],
        description="Lamp out, call me at 555-1234.",
        area=cats["roads"].city.areas.get(code="A1"),
        contact_email="res@example.org",
    )
    staff = signed_in(ana)
    base = f"/en/reports/testville/queue/{report.pk}/"
    assert report.reference in staff.get("/en/reports/testville/queue/").content.decode()
    assert "555-1234" in staff.get(base).content.decode()
    assert staff.post(base + "publish/", {"public_text": "Lamp out."}).status_code == 302
    assert staff.post(base + "assign/", {"department": cats["women"].pk}).status_code == 302
    assert (
        staff.post(base + "update/", {"status": "acknowledged", "text": "Crew tomorrow.", "public": "on"}).status_code
        == 302
    )
    assert staff.post(base + "update/", {"status": "resolved", "text": "Fixed.", "public": "on"}).status_code == 302
    report.refresh_from_db()
    assert report.status == "resolved" and report.department == cats["women"] and report.public_text == "Lamp out."
    public = Client().get(f"/en/reports/testville/{report.reference}/").content.decode()
    assert "Crew tomorrow." in public and "555-1234" not in public
    assert "Fixed." in Client().get(f"/en/reports/track/{token}/").content.decode()
    # An impossible transition is a form error, not a 500.
    response = staff.post(base + "update/", {"status": "acknowledged"})
    assert response.status_code == 200 and 'class="error"' in response.content.decode()


def test_sensitive_details_only_for_designated_staff(cats, city, ana, alice, settings):
    report, _t = actions.submit_report(
        city=city,
        category=cats["gbv"],
        description="Secret details of the assault.",
        address="x",
        photo=upload(jpeg()),
    )
    staff = signed_in(ana)
    base = f"/en/reports/testville/queue/{report.pk}/"
    page = staff.get(base).content.decode()
    assert "Secret details" not in page and "designated" in page
    assert staff.get(base + "photo/").status_code == 403
    assert staff.post(base + "publish/", {"public_text": "x"}).status_code == 403
    assert staff.post(base + "moderate/", {"verdict": "spam"}).status_code == 403
    assert staff.post(base + "update/", {"text": "x", "public": "on"}).status_code == 403
    api = f"/api/v1/cities/testville/official/reports/{report.reference}/updates"
    assert staff.post(api, '{"text": "x"}', content_type="application/json").status_code == 403
    admin = signed_in(alice)
    assert admin.post("/en/reports/testville/queue/sensitive-access/", {"username": "ana"}).status_code == 302
    assert SensitiveAccess.objects.filter(city=city, user=ana).exists()
    assert "Secret details" in staff.get(base).content.decode()
    photo = staff.get(base + "photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/jpeg"
    assert "no-store" in photo["Cache-Control"]


def test_person_export_and_erasure(cats, city, alice, rita):
    rita.email = "rita@example.org"
    rita.save()
    mine, _t = actions.submit_report(
        city=city,
        category=cats["lighting"],
        description="Lamp out here.",
        address="x",
        contact_email="Rita@Example.org",
        contact_phone="555",
        user=rita,
    )
    admin = signed_in(alice)
    export = admin.post("/en/reports/testville/queue/person/", {"email": "rita@example.org", "action": "export"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/json")
    data = json.loads(export.content)
    assert [r["reference"] for r in data["reports"]] == [mine.reference]
    erase = admin.post("/en/reports/testville/queue/person/", {"email": "rita@example.org", "action": "erase"})
    assert erase.status_code == 302
    mine.refresh_from_db()
    assert mine.user is None and not mine.has_contact and mine.contact_purged_at is not None
    from safercities.audit.models import AuditEvent

    assert set(AuditEvent.objects.filter(city=city).values_list("action", flat=True)) >= {
        "report.person_export",
        "report.person_erase",
    }


def test_hostile_urls_are_404_not_500(cats, city):
    client = Client()
    assert client.get("/en/reports/track/" + "a" * 5000 + "/").status_code == 404
    assert client.get("/en/reports/track/%00%27--/").status_code == 404
    assert client.get("/en/reports/testville/" + "R" * 3000 + "/").status_code == 404
    assert client.get("/en/reports/testville/R-%3Cscript%3E/").status_code == 404
    assert client.get("/en/reports/nowhere/new/").status_code == 404
    assert client.get("/api/v1/cities/testville/reports/" + "x" * 3000).status_code == 404
    assert client.get("/en/reports/testville/?page=99999&category=%27%20OR%201=1").status_code == 200
