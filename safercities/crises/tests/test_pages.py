"""The crisis pages end to end with the test client: declare from an alert, draw, import, allocate,
report (HTML and PDF), publish; the API; audit; hostile input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from safercities.audit.models import AuditEvent
from safercities.crises.models import REACHED_FIELDS, Activity, ChecklistStatus, Crisis, Scenario
from safercities.crises.tests.factories import SHEET, build_crisis
from safercities.portal.tests.factories import LAT0, LON0, SIDE, build_small_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(city):
    return build_crisis(city)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_city_admin_declares_a_crisis_from_an_alert(city, alice):
    data = build_small_city(city)
    from safercities.monitoring.models import Alert

    alert = Alert.objects.get(city=city)
    client = client_for(alice)
    page = client.get(f"/en/crises/testville/from-alert/{alert.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Fire incidents" in html and f'value="{data["areas"][0].pk}"' in html
    assert page.context["form"].initial["areas"] == [data["areas"][0].pk]
    response = client.post(
        f"/en/crises/testville/from-alert/{alert.pk}/",
        {
            "name": "Fires in Alameda",
            "hazard": "fire",
            "phase": "respond",
            "started_on": "2024-12-01",
            "indicator": alert.indicator_id,
            "areas": [data["areas"][0].pk],
        },
    )
    assert response.status_code == 302
    crisis = Crisis.objects.get(name="Fires in Alameda")
    assert crisis.alert == alert and crisis.indicator == alert.indicator
    assert [a.code for a in crisis.areas.all()] == ["A1"]
    assert crisis.phase_changes.get().phase == "respond"
    assert AuditEvent.objects.filter(action="crises.declare", object_id=str(crisis.pk)).exists()


def test_a_drawn_outline_selects_the_areas_it_overlaps(city, alice):
    build_small_city(city)
    # A box over the east half of A1 and the west half of A2 (not touching A3).
    x0, x1 = LON0 + SIDE * 0.5, LON0 + SIDE * 1.5
    box = {
        "type": "Polygon",
        "coordinates": [[[x0, LAT0], [x1, LAT0], [x1, LAT0 + SIDE], [x0, LAT0 + SIDE], [x0, LAT0]]],
    }
    response = client_for(alice).post(
        "/en/crises/testville/new/",
        {
            "name": "Drawn",
            "hazard": "flood",
            "phase": "prepare",
            "started_on": "2024-06-01",
            "outline": json.dumps(box),
        },
    )
    assert response.status_code == 302
    crisis = Crisis.objects.get(name="Drawn")
    assert sorted(a.code for a in crisis.areas.all()) == ["A1", "A2"]
    assert crisis.drawn_geometry["type"] == "Polygon"


@pytest.mark.parametrize(
    "outline",
    [
        "not json",
        "[1, 2]",
        '{"type": "Point", "coordinates": [0, 0]}',
        '{"type": "Polygon", "coordinates": [[[500, 0], [501, 0], [501, 1], [500, 0]]]}',
        '{"type": "Polygon", "coordinates": "x"}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}',  # far from the city
        '{"type": "FeatureCollection", "features": 7}',
        "[" * 5000,
    ],
)
def test_hostile_outlines_are_refused_by_field(city, alice, outline):
    build_small_city(city)
    response = client_for(alice).post(
        "/en/crises/testville/new/",
        {"name": "Bad", "hazard": "flood", "phase": "prepare", "started_on": "2024-06-01", "outline": outline},
    )
    assert response.status_code == 200
    assert "outline" in response.context["form"].errors
    assert not Crisis.objects.exists()


def test_a_declaration_needs_areas_and_a_unique_name(world, alice):
    response = client_for(alice).post(
        "/en/crises/testville/new/",
        {"name": "River flood", "hazard": "nonsense", "phase": "respond", "started_on": "tomorrow"},
    )
    errors = response.context["form"].errors
    assert set(errors) >= {"name", "hazard", "started_on"}
    assert Crisis.objects.count() == 1


def test_4w_import_page_rejects_then_accepts_and_exports(world, ana):
    client = client_for(ana)
    url = f"/en/crises/testville/{world['crisis'].pk}/4w/"
    bad = client.post(url, {"file": SimpleUploadedFile("bad.csv", SHEET.replace(",A1,", ",ZZ,").encode())})
    assert bad.status_code == 422 and b"no area with code" in bad.content
    assert not Activity.objects.exists()
    good = client.post(url, {"file": SimpleUploadedFile("good.csv", SHEET.encode())})
    assert good.status_code == 302
    assert Activity.objects.count() == 4
    export = client.get(f"{url}export.csv")
    assert export["Content-Type"].startswith("text/csv")
    lines = export.content.decode().splitlines()
    assert lines[1].split(",")[:2] == ["#activity+code", "#org+name"] and len(lines) == 6
    assert client.get(f"{url}export.xlsx").content[:2] == b"PK"
    assert client.get(f"{url}export.pdf").status_code == 404
    assert AuditEvent.objects.filter(action="crises.4w_import").count() == 1


def test_dashboard_shows_the_gap_map_and_the_uncovered_area(world, ana, tmp_path):
    client = client_for(ana)
    client.post(f"/en/crises/testville/{world['crisis'].pk}/4w/", {"file": SimpleUploadedFile("s.csv", SHEET.encode())})
    page = client.get(f"/en/crises/testville/{world['crisis'].pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="critical"' in html and "#b2182b" in html
    assert "1 area has high need and no coverage" in html and "Centro Claro" in html
    assert "Need by dimension" in html and "Economic" in html
    spanish = client.get(f"/es/crises/testville/{world['crisis'].pk}/")
    assert spanish.status_code == 200 and 'lang="es"' in spanish.content.decode()


def test_checklist_statuses_are_saved_and_audited(world, ana):
    client = client_for(ana)
    crisis = world["crisis"]
    a1 = world["areas"][0]
    url = f"/en/crises/testville/{crisis.pk}/checklist/"
    assert "Drains and channels cleared" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            f"s-{a1.pk}-drains-cleared": "done",
            f"s-{a1.pk}-sandbags": "in_progress",
            "s-x-y": "done",
            f"s-{a1.pk}-nope": "done",
        },
    )
    assert response.status_code == 302
    stored = dict(ChecklistStatus.objects.filter(crisis=crisis).values_list("item", "status"))
    assert stored == {"drains-cleared": "done", "sandbags": "in_progress"}
    page = client.get(url).content.decode()
    assert "1 / 8" in page
    assert AuditEvent.objects.filter(action="crises.checklist").count() == 1


def test_phase_end_and_publish_follow_the_roles(world, ana, alice):
    crisis = world["crisis"]
    base = f"/en/crises/testville/{crisis.pk}/"
    assert client_for(ana).post(base + "phase/", {"phase": "recover"}).status_code == 302
    assert client_for(ana).post(base + "end/", {"ended_on": "2024-09-01"}).status_code == 403
    assert client_for(ana).post(base + "publish/", {"published": "1"}).status_code == 403
    client_for(alice).post(base + "end/", {"ended_on": "2024-09-01"})
    crisis.refresh_from_db()
    assert crisis.phase == "recover" and str(crisis.ended_on) == "2024-09-01"
    assert [c.phase for c in crisis.phase_changes.all()] == ["respond", "recover"]
    assert Client().get(base + "public/").status_code == 404
    client_for(alice).post(base + "publish/", {"published": "1"})
    assert Client().get(base + "public/").status_code == 200
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"crises.phase", "crises.end", "crises.publish"} <= actions


def test_public_page_withholds_small_counts_and_sensitive_detail(world, alice):
    crisis = world["crisis"]
    Activity.objects.create(
        city=crisis.city,
        crisis=crisis,
        ref="tiny",
        organisation=_org(crisis),
        sector="health",
        description="x",
        area=world["areas"][2],
        start="2024-06-02",
        status="ongoing",
        reached_f_children=3,
    )
    crisis.is_published = True
    crisis.save()
    html = Client().get(f"/en/crises/testville/{crisis.pk}/public/").content.decode()
    assert "&lt;5" in html
    assert "Incidents in the crisis" not in html and "Resident reports" not in html
    assert f"/crises/testville/{crisis.pk}/4w/" not in html and "Sectors" not in html


def _org(crisis):
    from safercities.crises.models import Organisation

    return Organisation.objects.create(city=crisis.city, name="Org")


def test_allocation_page_saves_scenarios_and_shows_equity(world, ana):
    client = client_for(ana)
    url = f"/en/crises/testville/{world['crisis'].pk}/allocation/"
    for name, floor in (("Even floor", "5000"), ("Pure need", "0")):
        response = client.post(
            url, {"name": name, "need": "index", "scope": "affected", "budget": "100000", "floor": floor}
        )
        assert response.status_code == 302
    bad = client.post(
        url, {"name": "Neg", "need": "index", "scope": "affected", "budget": "-1", "floor": "5", "cap": "1"}
    )
    assert bad.status_code == 200 and {"budget", "cap"} <= set(bad.context["form"].errors)
    html = client.get(url).content.decode()
    assert "Concentration index" in html and "Even floor" in html and "Pure need" in html
    scenario = Scenario.objects.get(name="Pure need")
    export = client.get(f"{url}{scenario.pk}/export.csv").content.decode().splitlines()
    assert export[1].startswith("#adm2+code,#adm2+name")
    assert round(sum(float(line.split(",")[6]) for line in export[2:]), 2) == 100000.0


def test_an_impossible_scenario_is_explained_on_the_page_not_a_server_error(world, ana):
    # The form takes such scenarios (whether they fit depends on how many areas have data when shown);
    # the page then says what is wrong in the user's terms instead of failing: caps of 20,000 for the
    # three affected areas cannot absorb 100,000, floors of 50 for three areas exceed 100.
    client = client_for(ana)
    url = f"/en/crises/testville/{world['crisis'].pk}/allocation/"
    saved = client.post(
        url, {"name": "Capped", "need": "index", "scope": "affected", "budget": "100000", "floor": "0", "cap": "20000"}
    )
    assert saved.status_code == 302
    saved = client.post(url, {"name": "Floors", "need": "index", "scope": "affected", "budget": "100", "floor": "50"})
    assert saved.status_code == 302
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "the caps add up to 60,000.00 (3 areas × 20,000.00), less than the budget of 100,000.00" in html
    assert "the floors add up to 150.00 (3 areas × 50.00), more than the budget of 100.00" in html
    scenario = Scenario.objects.get(name="Capped")
    export = client.get(f"{url}{scenario.pk}/export.csv")
    assert export.status_code == 200 and len(export.content.decode().splitlines()) == 2  # headers, no rows


def test_an_impossible_scenario_is_explained_in_the_readers_language(world, ana):
    # The same two refusals as above, on /es/ in Spanish with Django's Spanish number format (a
    # non-breaking space groups thousands, a comma before the cents) and on /en/ in English.
    client = client_for(ana)
    path = f"crises/testville/{world['crisis'].pk}/allocation/"
    for fields in (
        {"name": "Capped", "budget": "100000", "floor": "0", "cap": "20000"},
        {"name": "Floors", "budget": "100", "floor": "50"},
    ):
        saved = client.post(f"/en/{path}", {"need": "index", "scope": "affected", **fields})
        assert saved.status_code == 302
    spanish = client.get(f"/es/{path}")
    assert spanish.status_code == 200
    html = spanish.content.decode()
    assert "los topes suman 60\xa0000,00 (3 barrios × 20\xa0000,00), menos que el presupuesto de 100\xa0000,00" in html
    assert "los mínimos suman 150,00 (3 barrios × 50,00), más que el presupuesto de 100,00" in html
    assert "the caps add up to" not in html and "the floors add up to" not in html
    english = client.get(f"/en/{path}").content.decode()
    assert "the caps add up to 60,000.00 (3 areas × 20,000.00), less than the budget of 100,000.00" in english
    assert "los topes suman" not in english


def test_recovery_page(world, ana):
    html = client_for(ana).get(f"/en/crises/testville/{world['crisis'].pk}/recovery/").content.decode()
    assert "recovered since 2024" in html and "not yet" in html


def test_situation_report_html_and_pdf(world, ana, tmp_path):
    client = client_for(ana)
    crisis = world["crisis"]
    client.post(f"/en/crises/testville/{crisis.pk}/4w/", {"file": SimpleUploadedFile("s.csv", SHEET.encode())})
    Scenario.objects.create(city=crisis.city, crisis=crisis, name="Sitrep scenario", budget=1000)
    html = client.get(f"/en/crises/testville/{crisis.pk}/sitrep/?date=2024-07-01").content.decode()
    assert "Situation on 2024-07-01" in html and "Methodology notes" in html
    response = client.get(f"/en/crises/testville/{crisis.pk}/sitrep.pdf?date=2024-07-01")
    assert response["Content-Type"] == "application/pdf"
    pdf = Path(tmp_path) / "sitrep.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for expected in (
        "River flood",
        "Situation on 2024-07-01",
        "Centro Claro",
        "high need, no coverage",
        "4W summary",
        "Sitrep scenario",
        "Concentration index",
        "Methodology notes",
    ):
        assert expected in text, expected
    bad_date = client.get(f"/en/crises/testville/{crisis.pk}/sitrep/?date=not-a-date")
    assert bad_date.status_code == 200


def test_outsiders_and_wrong_ids_get_404(world, oscar, ana):
    crisis = world["crisis"]
    assert client_for(oscar).get(f"/en/crises/testville/{crisis.pk}/").status_code == 404
    assert client_for(ana).get("/en/crises/testville/999999/").status_code == 404
    assert client_for(ana).get("/en/crises/testville/99999999999/").status_code == 404
    assert client_for(ana).get(f"/en/crises/testville/{crisis.pk}/allocation/99999999999/export.csv").status_code == 404


# --- API ------------------------------------------------------------------------------------------------


def test_api_lists_published_crises_to_the_public_and_all_to_analysts(world, ana):
    assert json.loads(Client().get("/api/v1/cities/testville/crises").content)["crises"] == []
    listed = json.loads(client_for(ana).get("/api/v1/cities/testville/crises").content)["crises"]
    assert listed[0]["name"] == "River flood" and listed[0]["areas"] == ["A1", "A2", "A3"]


def test_api_import_and_activities(world, ana):
    client = client_for(ana)
    url = f"/api/v1/cities/testville/crises/{world['crisis'].pk}/activities"
    rejected = client.post(
        f"{url}/import", {"file": SimpleUploadedFile("x.csv", SHEET.replace(",WASH,", ",Magic,").encode())}
    )
    assert rejected.status_code == 422
    body = json.loads(rejected.content)
    assert body["error"]["code"] == "import_rejected" and body["error"]["details"][0]["field"] == "#sector+cluster"
    ok = client.post(f"{url}/import", {"file": SimpleUploadedFile("x.csv", SHEET.encode())})
    assert ok.status_code == 200 and json.loads(ok.content)["created"] == 4
    activities = json.loads(client.get(url).content)["activities"]
    assert len(activities) == 4 and activities[0]["reached_total"] >= 0
    assert Client().get(url).status_code == 401


def test_api_import_with_a_bearer_token_needs_the_write_scope(world, ana, settings):
    from safercities.api import tokens

    settings.API_THROTTLE_ANON = settings.API_THROTTLE_USER = ""
    url = f"/api/v1/cities/testville/crises/{world['crisis'].pk}/activities"
    _token, read_only = tokens.create_token(user=ana, scopes="read")
    _token, writer = tokens.create_token(user=ana, scopes="read,write")
    client = Client()
    upload = {"file": SimpleUploadedFile("x.csv", SHEET.encode())}
    denied = client.post(f"{url}/import", upload, HTTP_AUTHORIZATION=f"Bearer {read_only}")
    assert denied.status_code == 403 and not Activity.objects.exists()
    upload = {"file": SimpleUploadedFile("x.csv", SHEET.encode())}
    done = client.post(f"{url}/import", upload, HTTP_AUTHORIZATION=f"Bearer {writer}")
    assert done.status_code == 200 and json.loads(done.content)["created"] == 4
    listed = client.get(url, HTTP_AUTHORIZATION=f"Bearer {read_only}")
    assert len(json.loads(listed.content)["activities"]) == 4


def test_a_private_city_hides_its_published_crisis_from_outsiders(world, rita, oscar):
    crisis = world["crisis"]
    crisis.is_published = True
    crisis.save()
    City = type(crisis.city)
    City.objects.filter(pk=crisis.city_id).update(is_public=False)
    url = f"/en/crises/testville/{crisis.pk}/public/"
    assert Client().get(url).status_code == 404
    assert client_for(oscar).get(url).status_code == 404
    assert client_for(rita).get(url).status_code == 200
    assert Client().get("/api/v1/cities/testville/crises").status_code == 404


def test_the_demo_crisis_is_built_once(city):
    from datetime import date

    from safercities.crises import demo
    from safercities.indicators.models import Indicator, Observation
    from safercities.places.models import AreaPopulation

    data = build_small_city(city)
    floods = Indicator.objects.get(city=city, code="flood-incidents")
    for area, value in zip(data["areas"], (2, 9, 4), strict=True):
        AreaPopulation.objects.create(area=area, year=2024, population=1000)
        Observation.objects.create(
            city=city,
            indicator=floods,
            area=area,
            period="2024-05",
            period_type="month",
            period_start=date(2024, 5, 1),
            period_end=date(2024, 5, 31),
            value=value,
        )
    said: list[str] = []
    demo.build(city, say=said.append)
    crisis = Crisis.objects.get(city=city, name=demo.NAME)
    counts = (crisis.activities.count(), crisis.scenarios.count(), crisis.areas.count())
    assert counts[0] == 20 and counts[1] == 2 and crisis.alert is not None and crisis.phase == "respond"
    demo.build(city, say=said.append)
    assert (crisis.activities.count(), crisis.scenarios.count(), crisis.areas.count()) == counts
    assert Crisis.objects.filter(city=city).count() == 1 and "already present" in said[-1]


def test_an_activity_added_by_hand_and_deleted(world, ana):
    client = client_for(ana)
    crisis = world["crisis"]
    url = f"/en/crises/testville/{crisis.pk}/4w/new/"
    assert client.get(url).status_code == 200
    base = {
        "sector": "education",
        "description": "Temporary classrooms",
        "area": world["areas"][2].pk,
        "start": "2024-06-10",
        "status": "ongoing",
        **dict.fromkeys(REACHED_FIELDS, 0),
    }
    missing = client.post(url, base)
    assert missing.status_code == 200 and "organisation" in missing.context["form"].errors
    bad = client.post(
        url, {**base, "new_organisation": "Escuela Segura", "end": "2024-01-01", "reached_f_children": -4}
    )
    assert {"end", "reached_f_children"} <= set(bad.context["form"].errors)
    done = client.post(
        url,
        {
            **base,
            "new_organisation": "Escuela Segura",
            "new_acronym": "ES",
            "new_type": "nngo",
            "reached_f_children": 40,
        },
    )
    assert done.status_code == 302
    activity = Activity.objects.get(description="Temporary classrooms")
    assert activity.organisation.acronym == "ES" and activity.ref.startswith("A-") and activity.reached == 40
    again = client.post(url, {**base, "organisation": activity.organisation_id})
    assert again.status_code == 302 and Activity.objects.filter(description="Temporary classrooms").count() == 2
    delete = client.post(f"/en/crises/testville/{crisis.pk}/4w/{activity.pk}/delete/")
    assert delete.status_code == 302 and Activity.objects.count() == 1
    assert {"crises.activity_create", "crises.activity_delete", "crises.organisation_create"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )
