"""Every URL pattern and API operation × every persona, against the declared matrix.

A URL pattern (or OpenAPI operation) without an entry in ``tests/authorization_matrix.py`` fails
``test_every_url_pattern_is_in_the_matrix`` with its name, so nobody can add a page without
deciding who may open it.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import authorization_matrix as matrix

PERSONAS = matrix.PERSONAS


def walk(patterns=None, prefix: str = "", namespace: str = "") -> list[tuple[str, str | None, str]]:
    """(route, name with namespace or None, namespace) of every URL pattern, recursively."""
    out: list[tuple[str, str | None, str]] = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            out += walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            out.append((route, f"{namespace}{pattern.name}" if pattern.name else None, namespace))
    return out


def api_operations() -> dict[str, str]:
    """ "METHOD /path" → path, from the served OpenAPI document."""
    document = json.loads(Client().get("/api/v1/openapi.json").content)
    return {
        f"{method.upper()} {path}": path
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }


def missing_entries(patterns: list[tuple[str, str | None, str]], api_paths: set[str]) -> list[str]:
    """Patterns the matrix says nothing about (the admin is covered by its namespace rule)."""
    missing = []
    for route, name, namespace in patterns:
        # The admin: one rule for the namespace (and its unnamed catch-alls), see ADMIN_RULE.
        if namespace.startswith("admin:") or (name is None and "/admin/" in f"/{route}"):
            continue
        if name is not None and name.startswith("api:"):
            ninja_route = "/" + route.replace("<", "{").replace(">", "}")
            if name in matrix.API_EXTRA or ninja_route in api_paths:
                continue
            missing.append(name)
            continue
        key = name or route
        if key not in matrix.PAGES:
            missing.append(key)
    return missing


@pytest.mark.django_db
def test_every_url_pattern_is_in_the_matrix():
    operations = api_operations()
    missing = missing_entries(walk(), set(operations.values()))
    assert not missing, f"URL patterns without an entry in tests/authorization_matrix.py: {missing}"
    assert set(operations) == set(matrix.API), (
        "API operations missing from the matrix: "
        f"{sorted(set(operations) - set(matrix.API))}; stale entries: {sorted(set(matrix.API) - set(operations))}"
    )


@pytest.mark.django_db
def test_a_new_url_without_an_entry_is_reported():
    patterns = walk() + [("en/reports/<slug:city>/", "portal:new_report", "portal:"), ("en/secret/", None, "")]
    missing = missing_entries(patterns, set(api_operations().values()))
    assert missing == ["portal:new_report", "en/secret/"]
    api_extra = walk() + [("api/v1/cities/<city>/secret", "api:secret", "api:")]
    assert missing_entries(api_extra, set(api_operations().values())) == ["api:secret"]


def test_every_matrix_entry_names_a_real_pattern():
    names = {name for _route, name, _ns in walk() if name}
    routes = {route for route, _name, _ns in walk()}
    stale = [key for key in (*matrix.PAGES, *matrix.ADMIN_CHECKS, *matrix.API_EXTRA) if key not in names | routes]
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


# --- the world the personas act in ---------------------------------------------------------------


@pytest.fixture
def world(settings, tmp_path, city, other_city, alice, ana, mo, rita, oscar, nora):
    from django.contrib.auth import get_user_model

    from safercities.accounts.actions import grant_role
    from safercities.accounts.models import Membership
    from safercities.ingest.models import ImportRun
    from safercities.monitoring.models import Alert
    from safercities.places.models import Area
    from safercities.portal.tests.factories import build_small_city
    from safercities.workspace.models import ImportUpload

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TWO_FACTOR_REQUIRED = False
    settings.API_THROTTLE_ANON = ""
    settings.API_THROTTLE_USER = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    data = build_small_city(city)
    alert = Alert.objects.get(city=city)
    run = ImportRun.objects.create(city=city, kind="observations", filename="x.csv", file_sha256="0" * 64)
    upload = ImportUpload.objects.create(
        city=city,
        kind="observations",
        original_name="x.csv",
        stored_name="x.csv",
        status=ImportUpload.REJECTED,
        check_run=run,
    )
    extra = get_user_model().objects.create_user(username="extra", password="correct horse battery staple")
    grant_role(user=extra, city=city, role="resident")
    elsewhere = Area.objects.create(city=other_city, code="X1", name="Elsewhere", level="ward")
    other_alert = Alert.objects.create(
        city=other_city,
        indicator=other_city.indicators.get(code="homicide-rate"),
        area=elsewhere,
        period="2024-03",
        kind=Alert.EXCEEDANCE,
        severity=Alert.AMBER,
        observed=3,
        expected=1,
        upper=2.5,
        explanation="elsewhere",
    )
    users = {"rita": rita, "mo": mo, "ana": ana, "alice": alice, "oscar": oscar, "nora": nora}
    extra_objects: dict = {}
    for fragment in matrix.FRAGMENT_MODULES:
        extra_objects.update(fragment.objects(city, other_city, users))
    objects = {
        **extra_objects,
        "city": city.slug,
        "alert": alert.pk,
        "other_alert": other_alert.pk,
        "run": run.pk,
        "upload": upload.pk,
        "membership": Membership.objects.get(user=extra, city=city).pk,
    }
    return {"users": users, "objects": objects, "data": data}


def _client(world, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    return client


def _fill(kwargs: dict, objects: dict) -> dict:
    return {key: str(value).format(**objects) for key, value in kwargs.items()}


def _matches(response, expected) -> bool:
    if expected == matrix.LOGIN:
        location = response.get("Location", "")
        return response.status_code == 302 and ("/accounts/login/" in location or "/admin/login/" in location)
    allowed = expected if isinstance(expected, tuple) else (expected,)
    return response.status_code in allowed


POST_DATA = {
    "workspace:alert_assign": {"assignee": ""},
    "workspace:alert_comment": {"text": "Checked on site."},
    "workspace:member_role": {"role": "resident"},
    "set_language": {"language": "en", "next": "/"},
}
for _fragment in matrix.FRAGMENT_MODULES:
    POST_DATA.update(_fragment.POST_DATA)


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_answer_each_persona_as_the_matrix_says(world, persona):
    client = _client(world, persona)
    wrong = []
    for name, entry in {**matrix.PAGES, **matrix.ADMIN_CHECKS, **matrix.API_EXTRA}.items():
        url = reverse(name, kwargs=_fill(entry.get("kwargs", {}), world["objects"]))
        for method in ("GET", "POST"):
            expected = (entry.get(method) or {}).get(persona)
            if expected is None:
                continue
            response = client.get(url) if method == "GET" else client.post(url, POST_DATA.get(name, {}))
            if not _matches(response, expected):
                wrong.append(f"{method} {name} ({url}): got {response.status_code}, matrix says {expected}")
        if name == "logout" and persona != "anonymous":
            client = _client(world, persona)  # signed out by the logout check: sign in again
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


IMPORT_FILE = "indicator,area,period,value\nfire-incidents,A1,2022,4\nfire-incidents,A2,2022,9\n"
DEFINITION = {"name": "Matrix index", "indicators": ["unemployment-rate", "fire-incidents"]}


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_answers_each_persona_as_the_matrix_says(world, persona):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(world, persona)
    wrong = []
    for key, entry in matrix.API.items():
        method, path = key.split(" ", 1)
        kwargs = {"city": world["objects"]["city"], **_fill(entry.get("kwargs", {}), world["objects"])}
        url = path.format(**kwargs) + (f"?{entry['query']}" if entry.get("query") else "")
        body = entry.get("body")
        if body == "import":
            response = client.post(
                url, {"file": SimpleUploadedFile("obs.csv", IMPORT_FILE.encode()), "dry_run": "true"}
            )
        elif isinstance(body, tuple) and body[0] == "form":  # ("form", {...}): a form-encoded POST
            response = client.post(url, _fill(body[1], world["objects"]))
        elif method == "POST":
            payload = DEFINITION if body == "definition" else (body or {})
            response = client.post(url, json.dumps(payload), content_type="application/json")
        elif method == "DELETE":
            response = client.delete(url)
        else:
            response = client.get(url)
        expected = entry["expect"][persona]
        if not _matches(response, expected):
            wrong.append(f"{key}: got {response.status_code} {response.content[:200]!r}, matrix says {expected}")
        elif response.status_code >= 400:
            assert set(json.loads(response.content)["error"]) >= {"code", "message", "details"}, key
    assert not wrong, f"{persona}:\n" + "\n".join(wrong)


@pytest.mark.django_db
def test_a_private_city_is_404_to_outsiders_on_pages_and_api(world, rita, oscar):
    from safercities.places.models import City

    City.objects.filter(slug="testville").update(is_public=False)
    for user, expected in ((None, 404), (oscar, 404), (rita, 200)):
        client = Client()
        if user is not None:
            client.force_login(user)
        assert client.get("/en/cities/testville/").status_code == expected
        for path in ("", "/areas", "/indicators", "/observations", "/index", "/alerts"):
            assert client.get(f"/api/v1/cities/testville{path}").status_code == expected, (user, path)
        listed = {c["slug"] for c in json.loads(client.get("/api/v1/cities").content)["results"]}
        assert ("testville" in listed) == (expected == 200)
