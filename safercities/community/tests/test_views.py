"""The pages: a convener records a walk end to end, hostile input is refused by field with nothing
written, and what is not public stays hidden (drafts, private cities, exact points, small counts)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safercities.community import actions
from safercities.community.models import Action, Appraisal, AuditLocation, Follower, MappingPoint, WorkingGroup
from safercities.indicators.models import Indicator, Observation

pytestmark = pytest.mark.django_db

ZERO = dict.fromkeys(Appraisal.PARTICIPANT_FIELDS, "0")


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_a_convener_records_and_finalises_a_walk(mo, group, area):
    client = client_for(mo)
    response = client.post(
        reverse("community:appraisal_new", args=["testville", group.pk]),
        {
            **ZERO,
            "kind": "audit_walk",
            "title": "Evening walk",
            "area": area.pk,
            "date": "2024-05-02",
            "participants_female": "6",
            "participants_youth": "2",
        },
    )
    walk = Appraisal.objects.get(title="Evening walk")
    assert response.status_code == 302 and response["Location"].endswith(f"/appraisals/{walk.pk}/edit/")
    add = reverse("community:location_add", args=["testville", walk.pk])
    for description, lighting in (("Bus stop", "1"), ("Market", "3"), ("Park", "1")):
        assert (
            client.post(
                add, {"description": description, "lighting": lighting, "lat": "19.005", "lon": "-98.195"}
            ).status_code
            == 302
        )
    assert list(walk.locations.values_list("order", flat=True)) == [1, 2, 3]
    assert client.post(reverse("community:appraisal_finalise", args=["testville", walk.pk])).status_code == 302
    row = Observation.objects.get(indicator__code="audit-poor-lighting", area=area, period="2024Q2")
    assert round(row.value, 2) == 66.67
    page = client_for().get(reverse("community:appraisal", args=["testville", walk.pk]))
    assert page.status_code == 200
    assert "Bus stop" in page.content.decode() and "67 %" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"description": "", "lighting": "1"}, "description"),
        ({"description": "X", "lighting": "7"}, "lighting"),
        ({"description": "X", "lighting": "poor"}, "lighting"),
        ({"description": "X"}, "lighting"),  # nothing rated
        ({"description": "X", "lighting": "1", "lat": "999", "lon": "0"}, "lat"),
        ({"description": "X", "lighting": "1", "lat": "nan", "lon": "0"}, "lat"),
        ({"description": "X", "lighting": "1", "lat": "19.0"}, "lat"),  # lat without lon
        ({"description": "X" * 400, "lighting": "1"}, "description"),
        ({"description": "X", "lighting": "1", "lon": "1e400", "lat": "1"}, "lon"),
    ],
)
def test_hostile_locations_are_refused_by_field_and_nothing_is_written(mo, walk, data, field):
    response = client_for(mo).post(reverse("community:location_add", args=["testville", walk.pk]), data)
    assert response.status_code == 200
    assert field in response.context["location_form"].errors
    assert not AuditLocation.objects.exists()


def test_appraisal_form_refuses_another_citys_area_a_future_date_and_impossible_counts(mo, group, other_city):
    from safercities.places.models import Area

    elsewhere = Area.objects.create(city=other_city, code="X9", name="Elsewhere")
    response = client_for(mo).post(
        reverse("community:appraisal_new", args=["testville", group.pk]),
        {
            **ZERO,
            "kind": "audit_walk",
            "title": "<script>alert(1)</script>",
            "area": elsewhere.pk,
            "date": (timezone.localdate() + timedelta(days=3)).isoformat(),
            "participants_disability": "3",
            "participants_youth": "-1",
        },
    )
    errors = response.context["form"].errors
    assert response.status_code == 200 and {"area", "date", "participants_youth"} <= set(errors)
    assert not Appraisal.objects.exists()
    assert b"<script>alert(1)</script>" not in response.content


def test_residents_outside_the_group_cannot_record(rita, oscar, group, walk):
    assert client_for(rita).get(reverse("community:appraisal_new", args=["testville", group.pk])).status_code == 403
    assert client_for(rita).post(reverse("community:location_add", args=["testville", walk.pk]), {}).status_code == 403
    assert client_for(oscar).get(reverse("community:appraisal_edit", args=["testville", walk.pk])).status_code == 404


def test_drafts_photos_and_hidden_groups_are_not_public(walk, mo, group, rita):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    photo = actions.do_add_photo(appraisal=walk, user=mo, upload=SimpleUploadedFile("p.png", buffer.getvalue()))
    photo_url = reverse("community:photo", args=["testville", walk.pk, photo.pk])
    assert client_for().get(reverse("community:appraisal", args=["testville", walk.pk])).status_code == 404
    assert client_for().get(photo_url).status_code == 404
    assert client_for(rita).get(photo_url).status_code == 404
    answer = client_for(mo).get(photo_url)
    assert answer.status_code == 200 and answer["Content-Type"] == "image/jpeg"
    WorkingGroup.objects.filter(pk=group.pk).update(is_public=False)
    assert client_for().get(reverse("community:group", args=["testville", group.pk])).status_code == 404
    assert client_for(mo).get(reverse("community:group", args=["testville", group.pk])).status_code == 200


def test_a_private_citys_pages_are_404_to_outsiders(city, group, oscar, rita):
    city.is_public = False
    city.save()
    for path in (
        reverse("community:city", args=["testville"]),
        reverse("community:dashboard", args=["testville"]),
        reverse("community:group", args=["testville", group.pk]),
    ):
        assert client_for().get(path).status_code == 404
        assert client_for(oscar).get(path).status_code == 404
        assert client_for(rita).get(path).status_code == 200


def test_safety_mapping_is_public_only_as_coarse_cells(mo, city, group, area):
    mapping = Appraisal.objects.create(
        city=city, group=group, kind=Appraisal.SAFETY_MAPPING, title="Map", area=area, date=date(2024, 3, 1)
    )
    for i in range(7):
        MappingPoint.objects.create(appraisal=mapping, category="dark_spot", lat=19.001234 + i * 1e-5, lon=-98.198765)
    MappingPoint.objects.create(appraisal=mapping, category="harassment", lat=19.004321, lon=-98.191111)
    actions.do_finalise(appraisal=mapping, user=mo)
    html = client_for().get(reverse("community:appraisal", args=["testville", mapping.pk])).content.decode()
    assert "19.00123" not in html and "19.00432" not in html and "98.19876" not in html
    assert "<polygon" in html  # the seven dark spots share a published cell
    assert "fewer than 5" in html  # one harassment point: its count is withheld
    staff = client_for(mo).get(reverse("community:appraisal", args=["testville", mapping.pk])).content.decode()
    assert "19.0012" in staff


def test_group_page_protects_small_counts_in_public(group, ana):
    public = client_for().get(reverse("community:group", args=["testville", group.pk])).content.decode()
    assert "fewer than 5" in public and "Mo" in public  # the convener's name is public
    staff = client_for(ana).get(reverse("community:group", args=["testville", group.pk])).content.decode()
    assert "Members (staff view)" in staff


def _action(city, area, **extra) -> Action:
    values = {
        "title": "Fix the lights",
        "owner_department": "Public works",
        "area": area,
        "start_date": date(2024, 1, 15),
        "due_date": date(2024, 3, 31),
        **extra,
    }
    return Action.objects.create(city=city, **values)


def test_action_form_validates_by_field(ana, city, other_city):
    foreign = Indicator.objects.filter(city=other_city).first()
    response = client_for(ana).post(
        reverse("community:action_new", args=["testville"]),
        {
            "title": "",
            "owner_department": "Works",
            "start_date": "2024-05-01",
            "due_date": "2024-04-01",
            "status": "teleported",
            "budget": "-5",
            "indicators": [foreign.pk],
        },
    )
    errors = response.context["form"].errors
    assert response.status_code == 200
    assert {"title", "due_date", "status", "budget", "indicators"} <= set(errors)
    assert not Action.objects.exists()


def test_action_page_has_before_after_and_a_sparkline_without_javascript(city, area, ana):
    lighting = Indicator.objects.get(city=city, code="audit-poor-lighting")
    for i, value in enumerate((60.0, 50.0, 30.0)):
        start = date(2023, 7 + 3 * (i % 2), 1) if i < 2 else date(2024, 4, 1)
        Observation.objects.create(
            city=city,
            indicator=lighting,
            area=area,
            period=f"P{i}",
            period_type="quarter",
            period_start=start,
            period_end=start + timedelta(days=80),
            value=value,
        )
    action = _action(city, area)
    action.indicators.add(lighting)
    html = client_for().get(reverse("community:action", args=["testville", action.pk])).content.decode()
    assert "<polyline" in html and "<script" not in html.split("</main>")[0]
    assert "50" in html and "30" in html


def test_dashboard_lists_overdue_actions(city, area):
    _action(city, area, title="Late one", due_date=timezone.localdate() - timedelta(days=3))
    _action(city, area, title="Hidden one", due_date=timezone.localdate() - timedelta(days=3), is_public=False)
    html = client_for().get(reverse("community:dashboard", args=["testville"])).content.decode()
    assert "Late one" in html and "Hidden one" not in html
    hidden = Action.objects.get(title="Hidden one")
    assert client_for().get(reverse("community:action", args=["testville", hidden.pk])).status_code == 404


def test_following_by_email_then_confirm_then_unfollow(city, area, ana, django_capture_on_commit_callbacks):
    action = _action(city, area)
    follow = reverse("community:follow", args=["testville", action.pk])
    bad = client_for().post(follow, {"email": "not-an-address<script>"})
    assert bad.status_code == 200 and "email" in bad.context["follow_form"].errors
    assert client_for().post(follow, {"email": "r@example.org"}).status_code == 302
    follower = Follower.objects.get(email="r@example.org")
    assert f"/follow/{follower.token}/" in mail.outbox[0].body and "http://testserver" in mail.outbox[0].body
    confirm = reverse("community:follow_confirm", args=["testville", follower.token])
    assert client_for().get(confirm).status_code == 200
    assert not Follower.objects.get(pk=follower.pk).confirmed  # a GET (link preview) changes nothing
    client_for().post(confirm)
    assert Follower.objects.get(pk=follower.pk).confirmed
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(ana).post(
            reverse("community:action_update", args=["testville", action.pk]), {"text": "Done.", "status": "done"}
        )
    assert response.status_code == 302 and len(mail.outbox) == 1
    client_for().post(reverse("community:unfollow", args=["testville", follower.token]))
    assert not Follower.objects.filter(pk=follower.pk).exists()
    assert client_for().get(reverse("community:unfollow", args=["testville", "nonsense"])).status_code == 404


def test_signed_in_residents_follow_at_once(city, area, rita):
    action = _action(city, area)
    client_for(rita).post(reverse("community:follow", args=["testville", action.pk]))
    assert Follower.objects.get(action=action, user=rita).confirmed
    html = client_for(rita).get(reverse("community:action", args=["testville", action.pk])).content.decode()
    assert "You follow this action." in html


def test_management_pages_render_for_analysts(ana, group, walk, city, area):
    _action(city, area)
    client = client_for(ana)
    for name, args in (
        ("manage", []),
        ("group_new", []),
        ("group_edit", [group.pk]),
        ("recommendation_new", []),
        ("action_new", []),
        ("appraisal_edit", [walk.pk]),
        ("city", []),
    ):
        assert client.get(reverse(f"community:{name}", args=["testville", *args])).status_code == 200, name


def test_spanish_pages(group, city, area):
    _action(city, area)
    html = client_for().get("/es/community/testville/actions/").content.decode()
    assert "Acciones" in html or "acciones" in html


def test_management_forms_refuse_hostile_input_by_field(ana, group, city):
    client = client_for(ana)
    duplicate = client.post(reverse("community:group_new", args=["testville"]), {"name": "alameda WALKERS"})
    assert duplicate.status_code == 200 and "name" in duplicate.context["form"].errors
    nameless = client.post(reverse("community:member_add", args=["testville", group.pk]), {"role": "boss", "sex": "x"})
    assert {"name", "role", "sex"} <= set(nameless.context["member_form"].errors)
    bad_meeting = client.post(reverse("community:meeting_new", args=["testville", group.pk]), {"date": "2024-13-45"})
    assert "date" in bad_meeting.context["meeting_form"].errors
    bad_update = client.post(reverse("community:action_update", args=["testville", 999999]), {"text": "x"})
    assert bad_update.status_code == 404
    assert WorkingGroup.objects.count() == 1 and group.members.count() == 1 and not group.meetings.exists()


def test_an_area_of_another_city_cannot_be_linked(ana, group, other_city):
    from safercities.places.models import Area

    elsewhere = Area.objects.create(city=other_city, code="X9", name="Elsewhere")
    response = client_for(ana).post(
        reverse("community:group_edit", args=["testville", group.pk]), {"name": "G", "areas": [elsewhere.pk]}
    )
    assert "areas" in response.context["form"].errors


def test_a_hostile_photo_upload_is_refused_on_the_photo_field(mo, walk):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("evil.jpg", b"<?php system($_GET['c']); ?>", "image/jpeg")
    response = client_for(mo).post(reverse("community:photo_add", args=["testville", walk.pk]), {"photo": upload})
    assert response.status_code == 200 and "photo" in response.context["photo_form"].errors
    assert not walk.photos.exists()
