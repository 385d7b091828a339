"""Domain verbs: audit walk → indicator observations (all-or-nothing, idempotent), photos without
metadata, participation with small-count protection, the accountability figures, following."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from PIL import Image

from safercities.audit.models import AuditEvent
from safercities.community import actions, queries
from safercities.community import indicators as audit_indicators
from safercities.community.models import Action, Appraisal, Follower, GroupMember, WorkingGroup
from safercities.indicators.models import Indicator, Observation

pytestmark = pytest.mark.django_db


def _rate(walk, user, *ratings):
    for i, lighting in enumerate(ratings):
        actions.do_add_location(appraisal=walk, user=user, data={"description": f"Stop {i}", "lighting": lighting})


def test_finalising_a_walk_writes_the_share_rated_poor_as_a_community_observation(walk, mo):
    _rate(walk, mo, 1, 1, 2, 3)
    actions.do_add_location(appraisal=walk, user=mo, data={"description": "No lighting rating", "feeling": 1})
    written = actions.do_finalise(appraisal=walk, user=mo)
    assert written == 2  # lighting and feeling were rated; the other seven parameters were not
    lighting = Observation.objects.get(indicator__code="audit-poor-lighting", area=walk.area)
    assert (lighting.period, lighting.value, lighting.denominator) == ("2024Q2", 50.0, 4.0)
    assert lighting.quality == Observation.COMMUNITY and lighting.numerator is None
    assert "2 of 4" in lighting.source
    feeling = Observation.objects.get(indicator__code="audit-poor-feeling")
    assert feeling.value == 100.0
    walk.refresh_from_db()
    assert walk.is_final and walk.finalised_at is not None
    assert AuditEvent.objects.filter(action="community.appraisal.finalise").count() == 1


def test_the_catalogue_indicators_are_reused_and_the_rest_created_once(city):
    before = set(Indicator.objects.filter(city=city).values_list("code", flat=True))
    assert "audit-poor-lighting" in before  # shipped in the catalogue
    first = audit_indicators.ensure_indicators(city)
    second = audit_indicators.ensure_indicators(city)
    assert {i.pk for i in first.values()} == {i.pk for i in second.values()}
    assert first["lighting"].code == "audit-poor-lighting"
    assert Indicator.objects.filter(city=city, code__startswith="audit-poor-").count() == 9


def test_recomputing_is_idempotent_and_pools_the_walks_of_a_quarter(walk, mo, city, group, area):
    _rate(walk, mo, 1, 3)
    actions.do_finalise(appraisal=walk, user=mo)
    second = Appraisal.objects.create(
        city=city, group=group, kind=Appraisal.AUDIT_WALK, title="Second", area=area, date=date(2024, 6, 20)
    )
    _rate(second, mo, 1, 1)
    actions.do_finalise(appraisal=second, user=mo)
    row = Observation.objects.get(indicator__code="audit-poor-lighting", area=area, period="2024Q2")
    assert row.value == 75.0 and row.denominator == 4
    snapshot = list(Observation.objects.values_list("indicator_id", "period", "value"))
    audit_indicators.recompute(city, area, date(2024, 5, 1))
    assert list(Observation.objects.values_list("indicator_id", "period", "value")) == snapshot


def test_finalising_is_all_or_nothing(walk, mo, monkeypatch):
    _rate(walk, mo, 1)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_indicators, "recompute", broken)
    with pytest.raises(RuntimeError):
        actions.do_finalise(appraisal=walk, user=mo)
    walk.refresh_from_db()
    assert walk.status == Appraisal.DRAFT
    assert not Observation.objects.filter(quality=Observation.COMMUNITY).exists()


def test_an_empty_walk_cannot_be_finalised_and_a_final_one_cannot_change(walk, mo):
    with pytest.raises(ValidationError):
        actions.do_finalise(appraisal=walk, user=mo)
    _rate(walk, mo, 2)
    actions.do_finalise(appraisal=walk, user=mo)
    with pytest.raises(ValidationError):
        _rate(walk, mo, 1)
    with pytest.raises(ValidationError):
        actions.do_finalise(appraisal=walk, user=mo)


def test_who_may_record(group, mo, rita, ana, oscar, city):
    assert actions.may_record(mo, group)  # convener (and monitor)
    assert actions.may_record(ana, group)  # analyst
    assert not actions.may_record(rita, group)  # resident, not a member
    assert not actions.may_record(oscar, group)  # another city
    GroupMember.objects.create(group=group, user=rita, name="Rita", role=GroupMember.MEMBER)
    assert actions.may_record(rita, group)


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), "blue")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (19.0, 2.0, 3.0), 3: "W", 4: (98.0, 12.0, 1.0)}  # GPS IFD
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def test_photos_are_reencoded_without_exif_or_gps(walk, mo, settings):
    original = _jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get(0x010F) == "SpyCam"
    photo = actions.do_add_photo(
        appraisal=walk, user=mo, upload=SimpleUploadedFile("a.jpg", original, "image/jpeg"), caption="Underpass"
    )
    stored = (settings.MEDIA_ROOT / "community" / "testville" / photo.stored_name).read_bytes()
    assert b"SpyCam" not in stored
    reopened = Image.open(io.BytesIO(stored))
    assert not reopened.getexif() and "exif" not in reopened.info
    assert (photo.width, photo.height) == (40, 30)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not a picture at all",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,
        b"GIF89a" + b"\xff" * 20,
        b"<svg onload=alert(1)>",
    ],
)
def test_hostile_photos_are_rejected_and_nothing_is_written(walk, mo, settings, content):
    with pytest.raises(ValidationError):
        actions.do_add_photo(appraisal=walk, user=mo, upload=SimpleUploadedFile("x.jpg", content, "image/jpeg"))
    assert not walk.photos.exists()
    folder = settings.MEDIA_ROOT / "community" / "testville"
    assert not folder.exists() or not any(folder.iterdir())


def test_participation_hides_small_counts_in_public_but_not_for_staff(group):
    for i in range(6):
        GroupMember.objects.create(group=group, name=f"W{i}", sex="female", age_group="15-24")
    for i in range(5):
        GroupMember.objects.create(group=group, name=f"U{i}", sex="")
    GroupMember.objects.create(group=group, name="Man", sex="male", role=GroupMember.CONVENER)
    with translation.override("en"):
        public = queries.participation(group, full=False)
        staff = queries.participation(group, full=True)
        by_sex_public = {str(label): c for label, c in public["tables"][0].rows}
        by_sex_staff = {str(label): c for label, c in staff["tables"][0].rows}
    assert by_sex_public["female"].shown == 7  # Mo (female convener) + 6
    assert by_sex_public["male"].shown is None and by_sex_public["male"].small
    assert by_sex_staff["male"].shown == 1
    # The total is published, so one more cell (the smallest other, "not stated": 5) is withheld too.
    hidden = [c for c in by_sex_public.values() if c.shown is None]
    assert len(hidden) == 2 and {c.raw for c in hidden} == {1, 5}
    assert public["women_conveners_share"] == 50  # Mo and Man convene


def test_dashboard_counts_overdue_and_completion(city, area):
    today = timezone.localdate()
    lighting = Indicator.objects.get(city=city, code="audit-poor-lighting")

    def make(status, due_offset, **extra):
        action = Action.objects.create(
            city=city,
            title=f"{status} {due_offset}",
            owner_department="Works",
            area=area,
            start_date=today - timedelta(days=400),
            due_date=today + timedelta(days=due_offset),
            status=status,
            **extra,
        )
        action.indicators.add(lighting)
        return action

    make(Action.DONE, -10)
    make(Action.PLANNED, -5)  # overdue
    make(Action.IN_PROGRESS, 30)
    make(Action.DROPPED, -50)
    make(Action.PLANNED, -5, is_public=False)  # not public: not counted
    figures = queries.dashboard(city, today)
    overall = figures["overall"]
    assert (overall.total, overall.done, overall.overdue, overall.dropped, overall.rate) == (4, 1, 1, 1, 33)
    assert [t.label for t in figures["by_dimension"]] == [lighting.dimension.translated("name")]
    assert figures["by_area"][0].overdue == 1


def test_movements_show_the_value_at_the_start_and_the_latest(city, area, walk, mo):
    lighting = Indicator.objects.get(city=city, code="audit-poor-lighting")
    for period, start, value in (("2023Q4", date(2023, 10, 1), 80.0), ("2024Q1", date(2024, 1, 1), 70.0)):
        Observation.objects.create(
            city=city,
            indicator=lighting,
            area=area,
            period=period,
            period_type="quarter",
            period_start=start,
            period_end=start + timedelta(days=89),
            value=value,
        )
    _rate(walk, mo, 1, 3, 3, 3)
    actions.do_finalise(appraisal=walk, user=mo)
    action = Action.objects.create(
        city=city,
        title="Lights",
        owner_department="Works",
        area=area,
        start_date=date(2024, 2, 1),
        due_date=date(2024, 12, 1),
    )
    action.indicators.add(lighting)
    (move,) = queries.movements(action, full=False)
    assert move.before == ("2024Q1", 70.0)
    assert move.after == ("2024Q2", 25.0)
    assert [v for _p, v in move.series] == [80.0, 70.0, 25.0]


def test_following_by_email_needs_a_confirmation_and_updates_reach_confirmed_followers(
    city, area, ana, rita, django_capture_on_commit_callbacks
):
    action = Action.objects.create(
        city=city,
        title="Lights",
        owner_department="Works",
        area=area,
        start_date=date(2024, 1, 1),
        due_date=date(2024, 2, 1),
    )
    pending = actions.do_follow(action=action, email="  Someone@Example.org ")
    assert pending.email == "someone@example.org" and not pending.confirmed
    assert len(mail.outbox) == 1 and pending.token in mail.outbox[0].body
    actions.do_follow(action=action, email="someone@example.org")  # asking twice: no duplicate row
    assert Follower.objects.filter(action=action).count() == 1
    rita.email = "rita@example.org"
    rita.save()
    actions.do_follow(action=action, user=rita)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_post_update(action=action, user=ana, text="Poles ordered.", status=Action.IN_PROGRESS)
    assert [m.to for m in mail.outbox] == [["rita@example.org"]]  # the unconfirmed address gets nothing
    assert "/unfollow/" in mail.outbox[0].body and "Poles ordered." in mail.outbox[0].body
    actions.do_confirm(token=pending.token)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_post_update(action=action, user=ana, text="Poles up.", status=Action.DONE)
    assert sorted(m.to[0] for m in mail.outbox) == ["rita@example.org", "someone@example.org"]
    action.refresh_from_db()
    assert action.status == Action.DONE and action.completed_on is not None
    actions.do_unfollow(token=pending.token)
    assert not Follower.objects.filter(email="someone@example.org").exists()


def test_staff_changes_are_audited(city, ana, area):
    group = actions.do_save_group(city=city, user=ana, data={"name": "G", "mandate": "M", "areas": [area]})
    actions.do_save_group(city=city, user=ana, data={"name": "G2"}, group=group)
    member = actions.do_add_member(group=group, user=ana, data={"name": "P", "role": "member"})
    actions.do_remove_member(member=member, user=ana)
    events = list(AuditEvent.objects.filter(city=city).order_by("pk").values_list("action", "username"))
    assert events == [
        ("community.group.save", "ana"),
        ("community.group.save", "ana"),
        ("community.member.add", "ana"),
        ("community.member.remove", "ana"),
    ]
    renamed = AuditEvent.objects.filter(action="community.group.save").order_by("pk").last()
    assert renamed.before == {"name": "G"} and renamed.after == {"name": "G2"}
    assert WorkingGroup.objects.get(pk=group.pk).areas.count() == 1


def test_a_member_from_another_city_or_twice_is_refused(city, group, oscar, mo):
    with pytest.raises(ValidationError) as error:
        actions.do_add_member(group=group, user=None, data={"user": oscar, "name": "", "role": "member"})
    assert "user" in error.value.error_dict
    with pytest.raises(ValidationError):
        actions.do_add_member(group=group, user=None, data={"user": mo, "name": "Mo again", "role": "member"})
    assert group.members.count() == 1


def test_a_title_with_line_breaks_cannot_inject_mail_headers(city, area):
    action = Action.objects.create(
        city=city,
        title="Lights\r\nBcc: victim@example.org",
        owner_department="Works",
        area=area,
        start_date=date(2024, 1, 1),
        due_date=date(2024, 2, 1),
    )
    actions.do_follow(action=action, email="r@example.org")
    (message,) = mail.outbox
    assert "\n" not in message.subject and message.bcc == [] and message.to == ["r@example.org"]
