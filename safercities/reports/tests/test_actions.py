"""Submitting reports: the contract (tuple, hashed token, ValidationError dict) and hostile input."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from safercities.places.models import Area
from safercities.portal.tests.factories import build_small_city
from safercities.reports import actions
from safercities.reports.disclosure import public_location
from safercities.reports.models import Report, ReportUpdate
from safercities.reports.tests.factories import A1_POINT, jpeg, setup_categories, upload


@pytest.fixture
def cats(city, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_small_city(city)
    return setup_categories(city)


def submit(city, category, **kwargs):
    kwargs.setdefault("description", "A broken street lamp on the corner.")
    return actions.submit_report(city=city, category=category, **kwargs)


def test_submit_returns_report_and_token_storing_only_its_hash(city, cats):
    report, token = submit(city, cats["lighting"], lat=A1_POINT[0], lon=A1_POINT[1], contact_email="r@example.org")
    assert report.reference.startswith("R-") and len(report.reference) == 8
    assert report.token_hash == actions.hash_token(token) and token not in report.token_hash
    assert report.area.code == "A1" and report.h3_cell
    assert report.status == Report.RECEIVED and report.moderation == Report.PENDING
    assert report.department == cats["roads"]
    assert report.open311_status == "open"
    assert actions.report_for_token(token) == report
    assert actions.report_for_token("nope") is None
    assert ReportUpdate.objects.filter(report=report, status="received").count() == 1


def bad(city, category, field, **kwargs):
    before = Report.objects.count()
    with pytest.raises(ValidationError) as info:
        submit(city, category, **kwargs)
    assert field in info.value.message_dict, info.value.message_dict
    assert Report.objects.count() == before  # nothing written
    return info.value.message_dict[field]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("description", {"description": "x" * 100_000}),
        ("description", {"description": "   "}),
        ("lat", {"lat": "nan", "lon": 1}),
        ("lat", {"lat": 91, "lon": 0}),
        ("lat", {"lat": "1e999", "lon": "0"}),
        ("lat", {"lat": "'; DROP TABLE reports_report;--", "lon": "0"}),
        ("lat", {"lat": 51.5, "lon": -0.12}),  # London: outside Testville
        ("area", {}),  # no place at all
        ("contact_email", {"area": None, "address": "Main St", "contact_email": "not-an-address"}),
        ("contact_phone", {"address": "Main St", "contact_phone": "<script>alert(1)</script>"}),
        ("address", {"address": "y" * 5000}),
    ],
)
def test_hostile_input_is_refused_naming_the_field_and_writes_nothing(city, cats, field, kwargs):
    bad(city, cats["lighting"], field, **kwargs)


def test_category_and_area_of_another_city_are_refused(city, other_city, cats):
    from safercities.reports.tests.factories import setup_categories as other_setup

    foreign = other_setup(other_city)
    bad(city, foreign["lighting"], "category", address="Main St")
    elsewhere = Area.objects.create(city=other_city, code="Z1", name="Z", level="ward")
    bad(city, cats["lighting"], "area", area=elsewhere)


def test_html_and_sql_are_stored_as_text(city, cats):
    text = "<script>alert('x')</script> ' OR 1=1; -- \x00"
    report, _token = submit(city, cats["lighting"], description=text, address="Main St")
    assert report.description == text.replace("\x00", "").strip()


def test_photo_is_reencoded_without_exif_or_gps(city, cats):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    from PIL.TiffImagePlugin import IFDRational

    gps = exif.get_ifd(0x8825)  # GPSInfo
    gps[1], gps[2] = "N", (IFDRational(19, 1), IFDRational(0, 1), IFDRational(0, 1))
    data = jpeg((3000, 2000), exif=exif.tobytes())
    assert b"SpyCam" in data
    report, _token = submit(city, cats["lighting"], address="Main St", photo=upload(data))
    stored = report.photo.read()
    assert b"SpyCam" not in stored and b"Exif" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and max(image.size) == actions.PHOTO_LONGEST_SIDE
        assert not image.getexif()
    assert "private" in report.photo.path  # outside any public URL


@pytest.mark.parametrize(
    "data",
    [
        b"GIF89a<?php system($_GET['c']); ?>",
        b"\xff\xd8\xff\xe0 not really a jpeg",
        b"%PDF-1.4 fake",
        b"",
    ],
)
def test_fake_images_are_refused(city, cats, data):
    if not data:
        report, _token = submit(city, cats["lighting"], address="Main St", photo=None)
        assert not report.photo
        return
    bad(city, cats["lighting"], "photo", address="Main St", photo=upload(data, "x.jpg"))


def test_too_large_photo_is_refused(city, cats):
    big = upload(b"\xff\xd8" + b"0" * (actions.MAX_PHOTO_BYTES + 10))
    bad(city, cats["lighting"], "photo", address="Main St", photo=big)


def test_public_location_snaps_and_hides_sensitive_points(city, cats):
    general, _t = submit(city, cats["lighting"], lat=A1_POINT[0], lon=A1_POINT[1], address="12 Elm St")
    sensitive, _t = submit(city, cats["gbv"], lat=A1_POINT[0], lon=A1_POINT[1], address="12 Elm St")
    g, s = public_location(general), public_location(sensitive)
    assert g["resolution"] == 8 and s["resolution"] == 7
    assert (g["lat"], g["lon"]) != A1_POINT and (s["lat"], s["lon"]) != A1_POINT
    assert g["address"] == "12 Elm St" and s["address"] == ""
    import h3

    assert h3.cell_to_latlng(s["h3"]) == pytest.approx((s["lat"], s["lon"]), abs=1e-5)
    only_area, _t = submit(city, cats["lighting"], area=Area.objects.get(city=city, code="A2"))
    assert public_location(only_area)["precision"] == "area"


def test_status_transitions_and_timestamps(city, cats, ana):
    report, _t = submit(city, cats["lighting"], address="Main St")
    with pytest.raises(ValidationError):
        actions.add_update(report, user=ana)  # nothing to say
    actions.add_update(report, user=ana, text="Internal note", public=False)
    assert report.first_response_at is None
    actions.add_update(report, user=ana, status="acknowledged")
    assert report.first_response_at is not None and report.status == "acknowledged"
    with pytest.raises(ValidationError) as info:
        actions.add_update(report, user=ana, status="received")
    assert "status" in info.value.message_dict
    actions.add_update(report, user=ana, status="in_progress", text="Crew sent.")
    actions.add_update(report, user=ana, status="resolved", text="Fixed.")
    report.refresh_from_db()
    assert report.resolved_at is not None and report.open311_status == "closed"
    actions.add_update(report, user=ana, status="closed")
    report.refresh_from_db()
    assert report.closed_at is not None


def test_duplicates_are_suggested_and_merged(city, cats, ana):
    first, _t = submit(city, cats["lighting"], lat=A1_POINT[0], lon=A1_POINT[1])
    near, _t = submit(city, cats["lighting"], lat=A1_POINT[0] + 0.0005, lon=A1_POINT[1])  # ~55 m
    far, _t = submit(city, cats["lighting"], lat=A1_POINT[0] + 0.004, lon=A1_POINT[1])  # ~445 m
    other_kind, _t = submit(city, cats["gbv"], lat=A1_POINT[0], lon=A1_POINT[1])
    assert actions.duplicate_candidates(near) == [first]
    assert far not in actions.duplicate_candidates(first) and other_kind not in actions.duplicate_candidates(first)
    actions.merge(near, into=first, user=ana)
    third, _t = submit(city, cats["lighting"], lat=A1_POINT[0], lon=A1_POINT[1])
    actions.merge(third, into=near, user=ana)  # pointing at a duplicate lands on the original
    third.refresh_from_db()
    assert third.merged_into == first
    with pytest.raises(ValidationError):
        actions.merge(first, into=first, user=ana)


def test_staff_changes_are_audited_without_personal_data(city, cats, ana):
    from safercities.audit.models import AuditEvent

    report, _t = submit(city, cats["lighting"], address="Main St", contact_email="secret@example.org")
    actions.publish(report, user=ana, public_text="A lamp is out.")
    actions.assign(report, user=ana, department=cats["women"])
    actions.add_update(report, user=ana, status="acknowledged", text="Thanks")
    actions.moderate(report, user=ana, verdict="spam")
    actions.merge(report, into=submit(city, cats["lighting"], address="Main St")[0], user=ana)
    events = AuditEvent.objects.filter(city=city, model_label="reports.report")
    assert {e.action for e in events} >= {
        "report.publish",
        "report.assign",
        "report.update",
        "report.spam",
        "report.merge",
    }
    assert all("secret@example.org" not in str(e.before) + str(e.after) for e in AuditEvent.objects.all())


def test_reporter_is_emailed_public_updates_only(city, cats, ana, mailoutbox, django_capture_on_commit_callbacks):
    report, _t = submit(city, cats["lighting"], address="Main St", contact_email="res@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_update(report, user=ana, text="internal", public=False)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_update(report, user=ana, status="acknowledged", text="We are on it.")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["res@example.org"]
    assert report.reference in mailoutbox[0].subject and "We are on it." in mailoutbox[0].body


def test_support_once_per_supporter_and_comments_wait_for_moderation(city, cats, ana):
    report, _t = submit(city, cats["lighting"], address="Main St")
    with pytest.raises(ValidationError):
        actions.support(report, supporter="u:1")  # not public yet
    actions.publish(report, user=ana, public_text="Lamp out")
    assert actions.support(report, supporter="u:1") is True
    assert actions.support(report, supporter="u:1") is False
    item = actions.comment(report, user=None, text="Me too")
    assert item.state == "pending"
    actions.moderate_comment(item, user=ana, state="approved")
    assert report.comments.filter(state="approved").count() == 1


def test_department_is_emailed_on_assignment_without_personal_data(
    city, cats, ana, mailoutbox, django_capture_on_commit_callbacks
):
    report, _t = submit(city, cats["lighting"], address="Main St", contact_email="res@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        actions.assign(report, user=ana, department=cats["women"])
        actions.assign(report, user=ana, department=cats["women"])  # unchanged: no second e-mail
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["women@example.org"]
    assert report.reference in mailoutbox[0].subject
    assert "res@example.org" not in mailoutbox[0].body and "broken street lamp" not in mailoutbox[0].body


def test_reporters_of_merged_duplicates_hear_the_answer(
    city, cats, ana, mailoutbox, django_capture_on_commit_callbacks
):
    original, _t = submit(city, cats["lighting"], address="Main St", contact_email="first@example.org")
    duplicate, _t = submit(city, cats["lighting"], address="Main St", contact_email="second@example.org")
    actions.merge(duplicate, into=original, user=ana)
    with django_capture_on_commit_callbacks(execute=True):
        actions.add_update(original, user=ana, status="acknowledged", text="Crew on the way.")
    assert sorted(m.to[0] for m in mailoutbox) == ["first@example.org", "second@example.org"]
    assert duplicate.reference in next(m.subject for m in mailoutbox if m.to == ["second@example.org"])
