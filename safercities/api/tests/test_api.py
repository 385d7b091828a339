"""The JSON API: tokens and scopes, tenancy, disclosure control, operations and hostile input."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from safercities.api import tokens
from safercities.api.models import ApiToken
from safercities.monitoring.models import Alert
from safercities.portal.tests.factories import build_small_city

BASE = "/api/v1/cities/testville"


@pytest.fixture(autouse=True)
def _api_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""


@pytest.fixture
def small(city):
    return build_small_city(city)


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def body(response) -> dict:
    return json.loads(response.content)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = body(response)["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["details"], list) and error["message"]
    if code:
        assert error["code"] == code
    return error


# --- tokens --------------------------------------------------------------------------------------


def test_token_is_stored_hashed_and_shown_once(ana):
    token, secret = tokens.create_token(user=ana, scopes="read,write", name="etl")
    assert secret.startswith(f"scm_{token.prefix}_")
    row = ApiToken.objects.get(pk=token.pk)
    assert secret.split("_")[-1] not in row.secret_hash and len(row.secret_hash) == 64
    assert row.scopes == ["read", "write"]
    assert tokens.authenticate(secret) == row
    assert tokens.authenticate(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert tokens.authenticate("scm_nothing") is None


def test_unknown_scope_is_refused(ana):
    with pytest.raises(tokens.TokenError):
        tokens.create_token(user=ana, scopes="read,root")
    with pytest.raises(tokens.TokenError):
        tokens.create_token(user=ana, scopes="")


def test_revoked_token_is_401_not_anonymous(city, ana, small):
    token, secret = tokens.create_token(user=ana, scopes="read")
    client = Client()
    assert client.get(f"{BASE}/official/alerts", **bearer(secret)).status_code == 200
    tokens.revoke_token(token.prefix)
    assert_error(client.get(f"{BASE}/official/alerts", **bearer(secret)), 401, "invalid_token")
    # Even a public endpoint refuses a bad token rather than silently serving it as anonymous.
    assert_error(client.get(f"{BASE}/indicators", **bearer(secret)), 401, "invalid_token")
    assert_error(client.get(f"{BASE}/indicators", **bearer("garbage")), 401, "invalid_token")


def test_last_used_is_recorded(city, ana):
    token, secret = tokens.create_token(user=ana, scopes="read")
    assert token.last_used_at is None
    Client().get("/api/v1/me", **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_read_token_cannot_write_and_write_needs_the_role(city, ana, mo, small):
    alert = Alert.objects.get(city=city)
    url = f"{BASE}/official/alerts/{alert.pk}/acknowledge"
    _t, read_only = tokens.create_token(user=ana, scopes="read")
    assert_error(Client().post(url, **bearer(read_only)), 403, "insufficient_scope")
    _t, monitor_write = tokens.create_token(user=mo, scopes="write")
    assert_error(Client().post(url, **bearer(monitor_write)), 403, "role_too_low")
    _t, writer = tokens.create_token(user=ana, scopes="write")
    response = Client().post(url, **bearer(writer))
    assert response.status_code == 200 and body(response)["status"] == "acknowledged"
    assert body(response)["acknowledged_by"] == "ana"
    assert_error(Client().post(url, **bearer(writer)), 409, "wrong_state")


def test_outsider_token_gets_404_for_another_city(city, oscar, small):
    _t, secret = tokens.create_token(user=oscar, scopes="admin")
    alert = Alert.objects.get(city=city)
    for method, url in (
        ("get", f"{BASE}/official/alerts"),
        ("get", f"{BASE}/official/alerts/{alert.pk}"),
        ("post", f"{BASE}/official/alerts/{alert.pk}/resolve"),
        ("post", f"{BASE}/compute"),
        ("get", f"{BASE}/import-runs"),
    ):
        assert_error(getattr(Client(), method)(url, **bearer(secret)), 404, "not_found")
    assert Alert.objects.get(pk=alert.pk).status == Alert.NEW


def test_token_endpoints_need_admin_scope(ana):
    _t, reader = tokens.create_token(user=ana, scopes="read")
    assert_error(Client().get("/api/v1/tokens", **bearer(reader)), 403, "insufficient_scope")
    _t, admin = tokens.create_token(user=ana, scopes="admin")
    created = Client().post(
        "/api/v1/tokens",
        json.dumps({"scopes": ["read"], "name": "x"}),
        content_type="application/json",
        **bearer(admin),
    )
    assert created.status_code == 201
    new = body(created)
    assert new["token"].startswith("scm_") and new["scopes"] == ["read"]
    listed = body(Client().get("/api/v1/tokens", **bearer(admin)))["tokens"]
    assert {t["prefix"] for t in listed} >= {new["prefix"]} and all("token" not in t for t in listed)
    revoked = Client().delete(f"/api/v1/tokens/{new['prefix']}", **bearer(admin))
    assert revoked.status_code == 200 and body(revoked)["revoked_at"]
    assert tokens.authenticate(new["token"]) is None


def test_session_post_needs_csrf(city, ana, small):
    alert = Alert.objects.get(city=city)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ana)
    assert_error(client.post(f"{BASE}/official/alerts/{alert.pk}/acknowledge"), 403, "csrf_failed")
    client.get("/en/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = client.post(f"{BASE}/official/alerts/{alert.pk}/acknowledge", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200


def test_token_command(ana, capsys):
    call_command("token", "create", "ana", "--scopes", "read,write", "--name", "etl", "--json")
    created = json.loads(capsys.readouterr().out)
    assert tokens.authenticate(created["token"]).user == ana
    call_command("token", "revoke", created["prefix"])
    assert tokens.authenticate(created["token"]) is None


# --- public data and disclosure -------------------------------------------------------------------


def test_observations_are_protected_as_on_the_portal(city, small):
    rows = body(Client().get(f"{BASE}/observations?indicator=fire-incidents"))["observations"]
    by_area = {r["area"]: r for r in rows}
    # 3 < k is withheld; 12 is withheld too (secondary suppression, as on the portal's map).
    assert by_area["A1"] == {**by_area["A1"], "value": None, "withheld": True}
    assert by_area["A2"]["withheld"] is True and by_area["A2"]["value"] is None
    assert by_area["A3"]["value"] == 20
    assert all("numerator" not in r for r in rows)


def test_small_numerator_rate_and_hidden_indicator_are_not_published(city, small):
    rows = body(Client().get(f"{BASE}/observations?indicator=unemployment-rate&period=2024&page_size=500"))
    disability = [r for r in rows["observations"] if r["disability"]]
    assert disability and disability[0]["value"] is None and disability[0]["withheld"]
    assert body(Client().get(f"{BASE}/observations?indicator=suicide-rate"))["count"] == 0
    codes = {i["code"] for i in body(Client().get(f"{BASE}/indicators?page_size=500"))["results"]}
    assert "suicide-rate" not in codes and "fire-incidents" in codes


def test_pagination_envelope(city, small):
    first = body(Client().get(f"{BASE}/observations?page_size=5"))
    assert first["count"] == 12 and len(first["observations"]) == 5 and first["previous"] is None
    assert "page=2" in first["next"]
    last = body(Client().get(f"{BASE}/observations?page_size=5&page=3"))
    assert len(last["observations"]) == 2 and last["next"] is None and "page=2" in last["previous"]
    beyond = body(Client().get(f"{BASE}/observations?page_size=5&page=99"))
    assert beyond["observations"] == [] and beyond["count"] == 12
    assert_error(Client().get(f"{BASE}/observations?page_size=501"), 422, "invalid")


def test_index_hotspots_and_public_alerts_shapes(city, small):
    index = body(Client().get(f"{BASE}/index"))
    assert index["period"] == "2024" and index["level"] == "neighbourhood"
    assert [a["code"] for a in index["areas"]] == ["A3", "A2", "A1"]
    assert set(index["areas"][0]["dimensions"]) == {
        "economic",
        "food",
        "health",
        "environmental",
        "personal",
        "community",
        "political",
    }
    hot = body(Client().get(f"{BASE}/hotspots?indicator=fire-incidents"))
    assert hot["weights"] == "queen" and {u["code"]: u["hotspot"] for u in hot["units"]}["A3"] == "hot"
    assert {u["code"]: u["value"] for u in hot["units"]}["A1"] is None
    alerts = body(Client().get(f"{BASE}/alerts"))["alerts"]
    assert len(alerts) == 1 and "explanation" not in alerts[0] and "upper" not in alerts[0]
    assert alerts[0]["observed"] is None and alerts[0]["observed_withheld"] is True


def test_sensitive_hotspots_only_at_coarse_units(city, small):
    from safercities.incidents.models import IncidentCategory
    from safercities.monitoring.models import HotspotResult

    fires = small["fires"]
    IncidentCategory.objects.create(city=city, code="sexual-violence", name="Sexual violence", sensitive=True)
    fires.incident_categories = ["sexual-violence"]
    fires.save(update_fields=["incident_categories"])
    HotspotResult.objects.create(
        city=city,
        indicator=fires,
        period="2024",
        unit="h3-9",
        weights="h3-k1",
        units=[{"code": "8928308280fffff", "value": 40, "gi_z": 3.0, "gi_p": 0.001, "hotspot": "hot"}],
    )
    assert_error(Client().get(f"{BASE}/hotspots?indicator=fire-incidents&unit=h3-9"), 404, "withheld")
    coarse = body(Client().get(f"{BASE}/hotspots?indicator=fire-incidents"))
    assert coarse["unit"] == "neighbourhood"


def test_areas_round_points_and_skip_exact_geometry(city, small):
    from safercities.places.models import Area

    Area.objects.create(
        city=city,
        code="S1",
        name="Shelter",
        level="site",
        geometry={"type": "Point", "coordinates": [-98.123456, 19.654321]},
        centroid_lon=-98.123456,
        centroid_lat=19.654321,
    )
    features = body(Client().get(f"{BASE}/areas?level=site"))["features"]
    assert features[0]["geometry"] is None
    assert features[0]["properties"]["centroid"] == [-98.123, 19.654]


# --- official operations ----------------------------------------------------------------------------


GOOD = "indicator,area,period,value\nfire-incidents,A1,2022,4\nfire-incidents,A2,2022,9\n"
BAD = "indicator,area,period,value\nfire-incidents,NOWHERE,2022,4\nno-such,A2,2022,lots\n"


def _import(client, content: str, *, dry_run: bool = False, options: str | None = None, name: str = "obs.csv", **extra):
    data = {"file": SimpleUploadedFile(name, content.encode()), "dry_run": "true" if dry_run else "false"}
    if options is not None:
        data["options"] = options
    return client.post(f"{BASE}/imports/observations", data, **extra)


def test_import_through_the_api(city, ana, small):
    from safercities.indicators.models import Observation
    from safercities.ingest.models import ImportRun

    _t, secret = tokens.create_token(user=ana, scopes="write")
    before = Observation.objects.count()
    dry = _import(Client(), GOOD, dry_run=True, **bearer(secret))
    assert dry.status_code == 200 and body(dry)["created"] == 2 and body(dry)["dry_run"] is True
    assert Observation.objects.count() == before
    done = _import(Client(), GOOD, **bearer(secret))
    assert body(done)["status"] == "ok" and body(done)["created"] == 2
    assert Observation.objects.count() == before + 2
    run = ImportRun.objects.get(pk=body(done)["import_run"])
    assert run.filename == "obs.csv" and run.user == ana
    again = body(_import(Client(), GOOD, **bearer(secret)))
    assert (again["created"], again["unchanged"]) == (0, 2)
    rejected = _import(Client(), BAD, **bearer(secret))
    error = assert_error(rejected, 422, "import_rejected")
    assert {e["row"] for e in error["details"]} == {1, 2}
    assert body(rejected)["import"]["status"] == "rejected"
    assert Observation.objects.count() == before + 2
    runs = body(Client().get(f"{BASE}/import-runs", **bearer(secret)))
    assert runs["count"] == 4
    detail = body(Client().get(f"{BASE}/import-runs/{runs['imports'][0]['id']}", **bearer(secret)))
    assert detail["status"] == "rejected" and detail["errors"]


def test_import_options_are_checked_and_paths_refused(city, ana, small):
    _t, secret = tokens.create_token(user=ana, scopes="write")
    for options in ('{"area_map": "/etc/passwd"}', '{"wide": 5}', "[1]", "{not json", '{"../x": "y"}'):
        assert_error(_import(Client(), GOOD, options=options, **bearer(secret)), 422, "invalid")
    ok = _import(Client(), GOOD, options='{"source": "api test"}', dry_run=True, **bearer(secret))
    assert ok.status_code == 200
    # A hostile file name never becomes a path.
    named = _import(Client(), GOOD, name="../../../../etc/cron.d/x.csv", dry_run=True, **bearer(secret))
    assert named.status_code == 200


def test_assign_and_resolve(city, ana, alice, rita, small):
    alert = Alert.objects.get(city=city)
    _t, secret = tokens.create_token(user=ana, scopes="write")
    url = f"{BASE}/official/alerts/{alert.pk}"
    assigned = Client().post(
        f"{url}/assign", json.dumps({"assignee": "alice"}), content_type="application/json", **bearer(secret)
    )
    assert body(assigned)["assigned_to"] == "alice"
    refused = Client().post(
        f"{url}/assign", json.dumps({"assignee": "rita"}), content_type="application/json", **bearer(secret)
    )
    assert_error(refused, 422)
    resolved = Client().post(f"{url}/resolve", **bearer(secret))
    assert body(resolved)["status"] == "resolved"
    assert_error(Client().post(f"{url}/resolve", **bearer(secret)), 409, "wrong_state")
    listed = body(Client().get(f"{BASE}/official/alerts?status=resolved", **bearer(secret)))
    assert listed["count"] == 1 and listed["alerts"][0]["explanation"]


def test_compute_queues_one_job(city, ana):
    from safercities.jobs.models import Job

    _t, secret = tokens.create_token(user=ana, scopes="write")
    first = Client().post(f"{BASE}/compute", **bearer(secret))
    second = Client().post(f"{BASE}/compute", **bearer(secret))
    assert first.status_code == 202 and body(first)["job"] == body(second)["job"]
    assert Job.objects.filter(kind="compute", city=city).count() == 1


def test_allocate_adds_up_to_the_budget(city, ana, small):
    from safercities.places.models import AreaPopulation

    for area, population in zip(small["areas"], (1000, 2000, 3000), strict=True):
        AreaPopulation.objects.create(area=area, year=2024, population=population)
    _t, secret = tokens.create_token(user=ana, scopes="read")
    response = Client().post(
        f"{BASE}/allocate",
        json.dumps({"budget": 100000, "floor": 1000}),
        content_type="application/json",
        **bearer(secret),
    )
    data = body(response)
    assert response.status_code == 200, data
    assert round(sum(a["amount"] for a in data["areas"]), 2) == 100000
    assert {a["code"] for a in data["areas"]} == {"A1", "A2", "A3"}
    bad_need = Client().post(
        f"{BASE}/allocate",
        json.dumps({"budget": 10, "need": "nothing"}),
        content_type="application/json",
        **bearer(secret),
    )
    assert_error(bad_need, 422, "cannot_allocate")


def test_index_definitions_list_and_create(city, ana, small):
    _t, secret = tokens.create_token(user=ana, scopes="write")
    listed = body(Client().get(f"{BASE}/index-definitions", **bearer(secret)))
    assert [d["slug"] for d in listed["definitions"]] == ["hsi"]
    payload = {"name": "Safety", "indicators": ["fire-incidents", "unemployment-rate"], "aggregation": "arithmetic"}
    created = Client().post(
        f"{BASE}/index-definitions", json.dumps(payload), content_type="application/json", **bearer(secret)
    )
    assert created.status_code == 201, created.content
    assert body(created)["slug"] == "safety"
    again = Client().post(
        f"{BASE}/index-definitions", json.dumps(payload), content_type="application/json", **bearer(secret)
    )
    assert_error(again, 409, "exists")
    wrong = dict(payload, name="Other", normalisation="rank")
    assert_error(
        Client().post(
            f"{BASE}/index-definitions", json.dumps(wrong), content_type="application/json", **bearer(secret)
        ),
        422,
    )


# --- hostile input: never a 500, always the error body ----------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "{not json",
        "[]",
        '{"budget": "lots"}',
        '{"budget": 1e400}',
        '{"budget": 10, "floor": -1}',
        '{"budget": 99999999999999999999999999999}',
        '{"budget": 10, "surprise": true}',
        '{"budget": null}',
        '"just a string"',
        "",
        "\x00\xff",
        '{"budget": 10, "need": "in\\u0000dex"}',
    ],
)
def test_malformed_bodies_are_4xx_with_the_error_body(city, ana, small, raw):
    _t, secret = tokens.create_token(user=ana, scopes="read")
    response = Client().post(f"{BASE}/allocate", raw, content_type="application/json", **bearer(secret))
    assert response.status_code in (400, 422), response.content
    assert_error(response, response.status_code)


@pytest.mark.parametrize(
    "path",
    [
        "/official/alerts/99999999999999999999999999",
        "/official/alerts/-1",
        "/official/alerts/abc",
        "/import-runs/1e9",
        "/observations?page=99999999999999999999",
        "/observations?page_size=abc",
        "/observations?period=%00",
        "/observations?period=" + "9" * 2000,
        "/observations?indicator=" + "x" * 5000,
        "/hotspots",
        "/index?level=../../etc",
        "/observations?indicator=%00",
        "/alerts?area=a%00b",
    ],
)
def test_malformed_paths_and_queries_are_4xx(city, ana, small, path):
    _t, secret = tokens.create_token(user=ana, scopes="read")
    response = Client().get(BASE + path, **bearer(secret))
    assert 400 <= response.status_code < 500, (path, response.status_code, response.content)
    assert_error(response, response.status_code)


def test_unknown_city_and_path_injection_are_404(ana):
    _t, secret = tokens.create_token(user=ana, scopes="read")
    for slug, status in (("nowhere", 404), ("..%2F..%2Fetc", 404), ("x" * 300, 404), ("%00", 400)):
        response = Client().get(f"/api/v1/cities/{slug}/official/alerts", **bearer(secret))
        assert_error(response, status)
        assert_error(Client().get(f"/api/v1/cities/{slug}/observations"), status)


def test_throttling_answers_429_with_the_error_body(settings, city):
    from django.core.cache import cache

    cache.clear()
    settings.API_THROTTLE_ANON = "3/min"
    client = Client()
    codes = [client.get("/api/v1/cities").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert_error(client.get("/api/v1/cities"), 429, "throttled")
    cache.clear()


def test_openapi_document(db):
    document = body(Client().get("/api/v1/openapi.json"))
    assert document["openapi"].startswith("3.")
    assert "/api/v1/cities/{city}/observations" in document["paths"]
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    # No interactive docs page (it would load assets the CSP forbids).
    assert Client().get("/api/v1/docs").status_code == 404
