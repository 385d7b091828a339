"""Every workspace view × every persona: the one decorator decides, and outsiders learn nothing."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver, reverse

from safercities.workspace import urls as workspace_urls
from safercities.workspace.tests.conftest import client_for

# url name -> (minimum role, needs a pk, GET allowed)
VIEWS = {
    "dashboard": ("analyst", None, True),
    "import_history": ("analyst", None, True),
    "import_new": ("analyst", None, True),
    "upload": ("analyst", "upload", True),
    "upload_status": ("analyst", "upload", True),
    "upload_confirm": ("analyst", "upload", False),
    "import_run": ("analyst", "run", True),
    "alerts": ("analyst", None, True),
    "alert": ("analyst", "alert", True),
    "alert_acknowledge": ("analyst", "alert", False),
    "alert_assign": ("analyst", "alert", False),
    "alert_comment": ("analyst", "alert", False),
    "alert_resolve": ("analyst", "alert", False),
    "index_builder": ("analyst", None, True),
    "settings": ("city_admin", None, True),
    "members": ("city_admin", None, True),
    "member_role": ("city_admin", "membership", False),
    "member_remove": ("city_admin", "membership", False),
}


def test_every_city_view_is_behind_the_decorator():
    names = {p.name for p in workspace_urls.urlpatterns if isinstance(p, URLPattern)} - {"home"}
    assert names == set(VIEWS)
    for pattern in workspace_urls.urlpatterns:
        if pattern.name == "home":
            continue
        assert getattr(pattern.callback, "city_role_minimum", None) == VIEWS[pattern.name][0], pattern.name
    assert get_resolver().resolve("/en/workspace/testville/").url_name == "dashboard"


@pytest.fixture
def objects(city, alice, alert):
    from safercities.accounts.models import Membership
    from safercities.ingest.models import ImportRun
    from safercities.workspace.models import ImportUpload

    run = ImportRun.objects.create(city=city, kind="observations", filename="x.csv", file_sha256="0" * 64)
    upload = ImportUpload.objects.create(
        city=city,
        kind="observations",
        original_name="x.csv",
        stored_name="x.csv",
        status=ImportUpload.REJECTED,
        check_run=run,
    )
    return {
        "upload": upload.pk,
        "run": run.pk,
        "alert": alert.pk,
        "membership": Membership.objects.get(user=alice, city=city).pk,
    }


def _url(name, objects, slug="testville"):
    pk_kind = VIEWS[name][1]
    kwargs = {"city": slug}
    if pk_kind:
        kwargs["pk"] = objects[pk_kind]
    return reverse(f"workspace:{name}", kwargs=kwargs)


PERSONAS = ["anonymous", "oscar", "rita", "mo", "ana", "alice", "nora"]
RANK = {"rita": 1, "mo": 2, "ana": 3, "alice": 4, "nora": 5}


@pytest.mark.parametrize("persona", PERSONAS)
def test_get_views_by_persona(request, objects, persona):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = client_for(user)
    for name, (minimum, _pk, get_allowed) in VIEWS.items():
        response = client.get(_url(name, objects))
        if persona == "anonymous":
            assert response.status_code == 302 and "login" in response["Location"], name
        elif persona == "oscar":
            assert response.status_code == 404, name  # another city's admin: the workspace "does not exist"
        elif RANK[persona] < {"analyst": 3, "city_admin": 4}[minimum]:
            assert response.status_code == 403, (name, persona)
        else:
            assert response.status_code == (200 if get_allowed else 405), (name, persona)


@pytest.mark.parametrize("persona", ["anonymous", "oscar", "rita", "mo"])
def test_post_views_refused(request, objects, persona, alert):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)
    client = client_for(user)
    for name, (_minimum, _pk, get_allowed) in VIEWS.items():
        if get_allowed and name not in {"import_new", "settings", "members", "index_builder"}:
            continue
        response = client.post(_url(name, objects), {"role": "city_admin", "text": "hi", "identifier": "x@y.org"})
        expected = {"anonymous": 302, "oscar": 404}.get(persona, 403)
        assert response.status_code == expected, (name, persona)
    alert.refresh_from_db()
    assert alert.status == "new" and not alert.comments.exists()


def test_analyst_is_refused_admin_pages_but_sees_no_admin_links(ana, alice, objects):
    response = client_for(ana).get(_url("dashboard", objects))
    assert reverse("workspace:members", kwargs={"city": "testville"}) not in response.content.decode()
    response = client_for(alice).get(_url("dashboard", objects))
    assert reverse("workspace:members", kwargs={"city": "testville"}) in response.content.decode()


def test_unknown_city_and_other_citys_objects_are_404(ana, other_alert, objects):
    client = client_for(ana)
    assert client.get("/en/workspace/no-such-city/").status_code == 404
    # An alert of another city, reached through one's own city: not found.
    url = reverse("workspace:alert", kwargs={"city": "testville", "pk": other_alert.pk})
    assert client.get(url).status_code == 404
    url = reverse("workspace:alert_resolve", kwargs={"city": "testville", "pk": other_alert.pk})
    assert client.post(url).status_code == 404
    other_alert.refresh_from_db()
    assert other_alert.status == "new"


def test_home_lists_or_redirects(ana, rita):
    response = client_for(ana).get("/en/workspace/")
    assert response.status_code == 302 and response["Location"].endswith("/workspace/testville/")
    response = client_for(rita).get("/en/workspace/")
    assert response.status_code == 200 and b"no analyst or admin role" in response.content
    assert client_for(None).get("/en/workspace/").status_code == 302


def test_pages_use_no_inline_script_or_style(alice, objects):
    client = client_for(alice)
    for name, (_m, _pk, get_allowed) in VIEWS.items():
        if not get_allowed or name == "upload_status":
            continue
        html = client.get(_url(name, objects)).content.decode()
        assert "<script>" not in html and "style=" not in html and "<style" not in html, name
