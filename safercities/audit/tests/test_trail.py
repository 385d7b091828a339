"""Every admin change by staff lands in the audit trail; the trail cannot be changed; who may read it."""

import csv
import io

import pytest

from safercities.audit import record
from safercities.audit.models import AppendOnlyError, AuditEvent
from safercities.places.models import Area, AreaPopulation, City


@pytest.fixture
def area(city):
    return Area.objects.create(city=city, code="T-1", name="Centro")


def test_admin_create_update_delete_are_recorded(client, alice, city):
    client.force_login(alice)
    add = client.post("/en/admin/places/area/add/", _area_form(city, code="T-9", name="Norte"))
    assert add.status_code == 302, add.content[:2000]
    area = Area.objects.get(code="T-9")
    created = AuditEvent.objects.get(action="create", model_label="places.area")
    assert created.user == alice and created.username == "alice" and created.city == city
    assert created.object_id == str(area.pk) and created.before is None
    assert created.after["name"] == "Norte" and created.after["city_id"] == city.pk
    assert len(created.request_id) == 32

    change = client.post(f"/en/admin/places/area/{area.pk}/change/", _area_form(city, code="T-9", name="Norte Alto"))
    assert change.status_code == 302
    updated = AuditEvent.objects.get(action="update")
    assert updated.before == {"name": "Norte"} and updated.after == {"name": "Norte Alto"}

    delete = client.post(f"/en/admin/places/area/{area.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 302 and not Area.objects.filter(pk=area.pk).exists()
    deleted = AuditEvent.objects.get(action="delete")
    assert deleted.before["name"] == "Norte Alto" and deleted.after is None and deleted.city == city


def test_inline_rows_and_bulk_delete_are_recorded(client, city, area, django_user_model):
    # Inlines follow Django's model permissions, so only a superuser sees the population inline.
    root = django_user_model.objects.create_superuser("root", password="a long root passphrase 1")
    client.force_login(root)
    form = _area_form(city, code="T-1", name="Centro")
    form.update(
        {
            "populations-0-year": "2020",
            "populations-0-population": "1500",
            "populations-0-sex": "",
            "populations-0-age_group": "",
            "populations-0-area": str(area.pk),
            "populations-0-id": "",
        }
    )
    form["populations-TOTAL_FORMS"] = "1"
    response = client.post(f"/en/admin/places/area/{area.pk}/change/", form)
    assert response.status_code == 302, response.content[:3000]
    population = AreaPopulation.objects.get(area=area)
    event = AuditEvent.objects.get(model_label="places.areapopulation")
    assert event.action == "create" and event.after["population"] == 1500 and event.city == city
    # The delete action on the list deletes many rows at once: each one is recorded.
    Area.objects.create(city=city, code="T-2", name="Sur")
    population.delete()
    bulk = client.post(
        "/en/admin/places/area/",
        {
            "action": "delete_selected",
            "_selected_action": list(Area.objects.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert bulk.status_code == 302
    assert AuditEvent.objects.filter(action="delete", model_label="places.area").count() == 2


def test_secrets_are_never_copied(alice, city):
    from safercities.audit.trail import snapshot

    assert snapshot(alice)["password"] == "(hidden)"


def test_trail_is_append_only(alice, city):
    event = record(action="publish", user=alice, city=city, model_label="reports.report", object_id="7")
    assert event.pk and event.username == "alice"
    event.action = "nothing happened"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="x")
    assert AuditEvent.objects.get().action == "publish"


def test_events_outlive_the_user_and_the_city(alice, city):
    record(action="update", user=alice, city=city, model_label="places.city", object_id=str(city.pk))
    alice.delete()
    City.objects.filter(pk=city.pk).delete()
    event = AuditEvent.objects.get()
    assert event.user is None and event.city is None and event.username == "alice"


def test_admin_of_the_trail_is_read_only(client, alice, city):
    event = record(action="update", user=alice, city=city, model_label="places.city", object_id="1")
    client.force_login(alice)
    assert client.get("/en/admin/audit/auditevent/").status_code == 200
    assert client.get("/en/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/en/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.count() == 1


@pytest.fixture
def events(city, other_city, alice, ana, oscar):
    record(
        action="create", user=ana, city=city, model_label="places.area", object_id="1", after={"name": "=HYPERLINK(1)"}
    )
    record(action="update", user=alice, city=city, model_label="indicators.indicator", object_id="2")
    record(action="update", user=oscar, city=other_city, model_label="places.area", object_id="3")


def test_city_admin_lists_and_filters_own_city(client, alice, events):
    client.force_login(alice)
    page = client.get("/en/audit/testville/")
    assert page.status_code == 200
    assert b"indicators.indicator" in page.content and b"oscar" not in page.content
    filtered = client.get("/en/audit/testville/?user=ana&action=create")
    assert b"places.area" in filtered.content and b"indicators.indicator" not in filtered.content
    assert b"No events match" in client.get("/en/audit/testville/?since=2999-01-01").content


def test_csv_export_is_filtered_and_safe(client, alice, events):
    client.force_login(alice)
    response = client.get("/en/audit/testville/events.csv?user=ana")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["when", "user", "action"]
    assert len(rows) == 2 and rows[1][1] == "ana"
    # A formula in a value is neutralised for spreadsheets.
    assert rows[1][7].startswith('{"name": "=HYPERLINK')


def test_csv_cell_guard():
    from safercities.audit.views import _cell

    assert _cell("=1+1") == "'=1+1" and _cell("@SUM") == "'@SUM" and _cell("ok") == "ok" and _cell(None) == ""


@pytest.mark.parametrize("who", ["oscar", "ana", "rita"])
def test_others_get_404(client, request, events, who, rita):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/en/audit/testville/").status_code == 404
    assert client.get("/en/audit/testville/events.csv").status_code == 404


def test_network_admin_sees_every_city(client, nora, events):
    client.force_login(nora)
    assert b"oscar" in client.get("/en/audit/otherburg/").content
    assert client.get("/en/audit/testville/").status_code == 200


def test_anonymous_is_sent_to_sign_in(client, events):
    response = client.get("/en/audit/testville/")
    assert response.status_code == 302 and response["Location"].startswith("/en/accounts/login/")


def _area_form(city, *, code, name):
    return {
        "city": city.pk,
        "code": code,
        "name": name,
        "level": "area",
        "parent": "",
        "geometry": "null",
        "populations-TOTAL_FORMS": "0",
        "populations-INITIAL_FORMS": "0",
        "populations-MIN_NUM_FORMS": "0",
        "populations-MAX_NUM_FORMS": "1000",
    }
