"""Open311 GeoReport v2: the specification's shapes, privacy of every field, hostile input."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.test import Client

from safercities.indicators.models import Dimension
from safercities.reports.actions import submit_report
from safercities.reports.models import Report, ReportCategory, ReportUpdate

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture(autouse=True)
def _fresh_budget():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(city):
    from safercities.portal.tests.factories import build_small_city

    build_small_city(city)
    lighting = ReportCategory.objects.create(
        city=city,
        code="lighting",
        name="Broken street light",
        translations={"es": "Alumbrado dañado"},
        description="Lamps out",
        dimension=Dimension.objects.get(code="community"),
    )
    harassment = ReportCategory.objects.create(
        city=city,
        code="harassment",
        name="Harassment",
        sensitive=True,
        dimension=Dimension.objects.get(code="personal"),
    )
    ReportCategory.objects.create(
        city=city, code="retired", name="Old", active=False, dimension=Dimension.objects.get(code="community")
    )
    public, _t = submit_report(
        city=city,
        category=lighting,
        description="Lamp out at Calle 5, call me on 555-1234",
        lat=19.005,
        lon=-98.195,
        address="Calle 5 #12",
        contact_name="Rosa Pérez",
        contact_email="rosa@example.org",
        contact_phone="5551234",
    )
    sensitive, _t = submit_report(
        city=city,
        category=harassment,
        description="Men follow women here at night",
        lat=19.0051,
        lon=-98.1751,
        address="Behind the market, stall 4",
    )
    pending, _t = submit_report(city=city, category=lighting, description="Another lamp is out", address="Plaza")
    Report.objects.filter(pk__in=[public.pk, sensitive.pk]).update(
        moderation=Report.PUBLISHED, public_text="A lamp is out."
    )
    ReportUpdate.objects.create(report=public, text="Crew sent.", public=True, status="in_progress")
    ReportUpdate.objects.create(report=public, text="Internal: contractor slow", public=False)
    return {"public": public, "sensitive": sensitive, "pending": pending}


def get_json(client, path, **params):
    response = client.get(BASE + path, params)
    return response, json.loads(response.content)


def test_services_in_json_and_xml_with_the_only_public_city_as_default(client, world):
    response, data = get_json(client, "/services.json")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert [s["service_code"] for s in data] == ["harassment", "lighting"]
    assert set(data[1]) == {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
    assert data[1]["service_name"] == "Broken street light" and data[1]["metadata"] is False
    es = client.get(BASE + "/services.json", HTTP_ACCEPT_LANGUAGE="es")
    assert "Alumbrado dañado" in es.content.decode()
    xml = ET.fromstring(client.get(BASE + "/services.xml").content)
    assert xml.tag == "services" and [e.findtext("service_code") for e in xml.findall("service")] == [
        "harassment",
        "lighting",
    ]
    definition = json.loads(client.get(BASE + "/services/lighting.json").content)
    assert definition == {"service_code": "lighting", "attributes": []}
    assert ET.fromstring(client.get(BASE + "/services/lighting.xml").content).tag == "service_definition"
    missing, body = get_json(client, "/services/retired.json")
    assert missing.status_code == 404 and body[0]["code"] == 404


def test_jurisdiction_is_required_with_two_public_cities_and_private_ones_are_hidden(client, world, city, other_city):
    response, body = get_json(client, "/services.json")
    assert response.status_code == 400 and "jurisdiction_id" in body[0]["description"]
    assert get_json(client, "/services.json", jurisdiction_id="testville")[0].status_code == 200
    assert get_json(client, "/services.json", jurisdiction_id="nowhere")[0].status_code == 404
    city.is_public = False
    city.save(update_fields=["is_public"])
    for path in ("/services.json", "/requests.json", f"/requests/{world['public'].reference}.json"):
        assert get_json(client, path, jurisdiction_id="testville")[0].status_code == 404, path


def test_requests_list_only_published_reports_and_nothing_private(client, world):
    response, data = get_json(client, "/requests.json")
    assert response.status_code == 200
    by_id = {r["service_request_id"]: r for r in data}
    assert set(by_id) == {world["public"].reference, world["sensitive"].reference}
    public = by_id[world["public"].reference]
    assert set(public) == REQUEST_FIELDS
    assert public["status"] == "open" and public["status_notes"] == "Crew sent."
    assert public["description"] == "A lamp is out." and public["address"] == "Calle 5 #12"
    text = response.content.decode()
    for secret in ("Rosa", "rosa@example.org", "555", "call me", "Internal", "stall 4", "follow women"):
        assert secret not in text
    # Locations are h3 cell centres, never the point; a sensitive one a coarser cell, without an address.
    assert (public["lat"], public["long"]) != (19.005, -98.195)
    sensitive = by_id[world["sensitive"].reference]
    assert sensitive["address"] == "" and sensitive["requested_datetime"].endswith("T00:00:00Z")
    import h3

    assert h3.get_resolution(h3.latlng_to_cell(sensitive["lat"], sensitive["long"], 7)) == 7
    assert abs(sensitive["lat"] - 19.0051) > 1e-5 or abs(sensitive["long"] + 98.1751) > 1e-5
    # XML carries the same fields.
    root = ET.fromstring(client.get(BASE + "/requests.xml").content)
    assert root.tag == "service_requests"
    assert {child.tag for child in root.find("request")} == REQUEST_FIELDS


def test_request_filters(client, world):
    ref = world["public"].reference

    def ids(**params):
        return {r["service_request_id"] for r in get_json(client, "/requests.json", **params)[1]}

    assert ids(service_code="harassment") == {world["sensitive"].reference}
    assert ids(service_request_id=f"{ref},{world['pending'].reference}") == {ref}
    assert ids(status="closed") == set()
    assert ids(status="open,closed") == ids()
    assert ids(start_date="2000-01-01T00:00:00Z", end_date="2000-02-01T00:00:00Z") == set()
    assert ids(start_date="2000-01-01", end_date="2000-02-01") == set()
    assert ids(end_date="2099-01-01T00:00:00+01:00") == set()  # the 90 days before: nothing filed then
    assert ref in ids(start_date=(world["public"].created_at.date()).isoformat())
    Report.objects.filter(pk=world["public"].pk).update(status=Report.RESOLVED)
    assert ids(status="closed") == {ref}


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"end_date": "2026-13-45T99:00:00Z"}, "end_date"),
        ({"start_date": "2020-01-01T00:00:00Z", "end_date": "2021-01-01T00:00:00Z"}, "90 days"),
        ({"start_date": "2021-01-01T00:00:00Z", "end_date": "2020-01-01T00:00:00Z"}, "before"),
        ({"status": "pending"}, "status"),
    ],
)
def test_bad_filters_are_400_in_the_error_shape(client, world, params, fragment):
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}", params)
        assert response.status_code == 400
        if fmt == "json":
            body = json.loads(response.content)
            assert body[0]["code"] == 400 and fragment in body[0]["description"]
        else:
            root = ET.fromstring(response.content)
            assert root.tag == "errors" and root.find("error").findtext("code") == "400"


def test_nul_characters_in_parameters_are_not_an_error(client, world):
    for path in (
        "/requests.json",
        "/services.json",
        "/services/light%00ing.json",
        "/requests/R-%00.json",
        "/tokens/%00.json",
    ):
        response = client.get(
            BASE + path, {"jurisdiction_id": "test\x00ville", "service_code": "\x00", "service_request_id": "\x00"}
        )
        assert response.status_code in (200, 404), path


def test_single_request_and_unpublished_is_404(client, world):
    response, data = get_json(client, f"/requests/{world['public'].reference}.json")
    assert response.status_code == 200 and len(data) == 1 and data[0]["service_request_id"] == world["public"].reference
    assert get_json(client, f"/requests/{world['pending'].reference}.json")[0].status_code == 404
    assert get_json(client, "/requests/R-NOPE.json")[0].status_code == 404
    assert client.get(f"{BASE}/requests/{world['public'].reference}.yaml").status_code == 404
    assert get_json(client, "/services.yaml")[1][0]["code"] == 404


def test_post_creates_an_anonymous_report_and_its_token_reads_back(client, world, rita):
    client.force_login(rita)  # a signed-in browser: the report is still anonymous (the endpoint is CSRF-exempt)
    form = {
        "service_code": "lighting",
        "address_string": "Avenida Juárez y 3",
        "description": "Two street lights are out since Monday.",
        "email": "x@example.org",
        "first_name": "Ana",
        "last_name": "Ruiz",
        "phone": "+52 222 000 0000",
        "media_url": "http://example.org/photo.jpg",
        "api_key": "anything",
    }
    response = Client(enforce_csrf_checks=True).post(BASE + "/requests.json", form)
    assert response.status_code == 201
    body = json.loads(response.content)[0]
    assert set(body) == {"service_request_id", "token", "service_notice", "account_id"}
    report = Report.objects.get(reference=body["service_request_id"])
    assert (report.source, report.moderation, report.user, report.contact_name) == (
        "open311",
        "pending",
        None,
        "Ana Ruiz",
    )
    assert "media_url was ignored" in body["service_notice"]
    token = json.loads(client.get(f"{BASE}/tokens/{body['token']}.json").content)
    assert token == [{"service_request_id": report.reference, "token": body["token"]}]
    assert (
        ET.fromstring(client.get(f"{BASE}/tokens/{body['token']}.xml").content)
        .find("request")
        .findtext("service_request_id")
        == report.reference
    )
    assert client.get(f"{BASE}/tokens/nope.json").status_code == 404
    xml = client.post(BASE + "/requests.xml", {**form, "description": "A third light is out on the avenue."})
    assert xml.status_code == 201 and ET.fromstring(xml.content).find("request").findtext("service_request_id")


@pytest.mark.parametrize(
    ("form", "fragment"),
    [
        ({}, "service_code is required"),
        ({"service_code": "nope", "address_string": "x"}, "not found"),
        ({"service_code": "retired", "address_string": "x", "description": "long enough text"}, "not found"),
        ({"service_code": "lighting", "description": "long enough text"}, "location"),
        ({"service_code": "lighting", "lat": "abc", "long": "1", "description": "long enough text"}, "lat/long"),
        ({"service_code": "lighting", "lat": "nan", "long": "inf", "description": "long enough text"}, "lat/long"),
        ({"service_code": "lighting", "lat": "51.5", "long": "-0.1", "description": "long enough text"}, "lat/long"),
        ({"service_code": "lighting", "address_string": "x", "description": "short"}, "description"),
        ({"service_code": "lighting", "address_string": "x", "description": "d" * 6000}, "description"),
        (
            {"service_code": "lighting", "address_string": "x" * 400, "description": "long enough text"},
            "address_string",
        ),
        ({"service_code": "lighting", "address_string": "x", "description": "long enough", "email": "no"}, "email"),
        (
            {"service_code": "lighting", "address_string": "x", "description": "long enough", "phone": "<script>"},
            "phone",
        ),
        ({"service_code": "x" * 5000, "address_string": "x"}, "not found"),
        ({"service_code": "lighting", "address_string": "\x00\x01", "description": "\x00long enough\x0b text"}, ""),
        (
            {"service_code": "light\x00ing", "address_string": "x", "description": "long enough", "first_name": "\x00"},
            "",
        ),
        ({"jurisdiction_id": "test\x00ville", "service_code": "\x00"}, "service_code is required"),
    ],
)
def test_hostile_posts_are_400_and_write_nothing(client, world, form, fragment):
    before = Report.objects.count()
    for fmt in ("json", "xml"):
        response = client.post(f"{BASE}/requests.{fmt}", form)
        if response.status_code == 201:  # the control characters were stripped and the rest is valid
            assert fragment == ""
            ET.fromstring(client.get(f"{BASE}/requests.xml").content)  # still well-formed XML
            return
        assert response.status_code == 400, response.content
        text = response.content.decode()
        assert fragment in text
        if fmt == "xml":
            assert ET.fromstring(response.content).tag == "errors"
    assert Report.objects.count() == before


def test_post_is_throttled_per_client(client, world, settings):
    settings.OPEN311_RATE = "2/h"
    form = {"service_code": "lighting", "address_string": "Plaza", "description": "A lamp is out again here."}
    codes = [Client().post(BASE + "/requests.json", form).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert json.loads(Client().post(BASE + "/requests.json", form).content)[0]["code"] == 429


def test_other_methods_and_xml_escaping(client, world):
    assert client.delete(BASE + "/requests.json").status_code == 405
    assert client.post(BASE + "/services.json").status_code == 405
    Report.objects.filter(pk=world["public"].pk).update(public_text='<b>&"lamp"</b>\x01\x1f]]>')
    response = client.get(f"{BASE}/requests/{world['public'].reference}.xml")
    assert ET.fromstring(response.content).find("request").findtext("description") == '<b>&"lamp"</b>]]>'


def test_a_sensitive_service_names_the_support_services_in_the_notice(client, world):
    ReportCategory.objects.filter(code="harassment").update(referral_text="Call the women's helpline 800 000.")
    form = {"service_code": "harassment", "address_string": "Plaza", "description": "I was followed home at night."}
    body = json.loads(client.post(BASE + "/requests.json", form).content)[0]
    assert "women's helpline" in body["service_notice"]
