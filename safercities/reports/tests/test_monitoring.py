"""Reports into the monitoring (community incidents, aggregation), accountability, retention, jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from safercities.incidents.aggregation import aggregate_incidents
from safercities.incidents.models import Incident
from safercities.indicators.models import Indicator, Observation
from safercities.jobs import queue
from safercities.portal.tests.factories import build_small_city
from safercities.reports import actions, monitoring, queries
from safercities.reports.models import Report, ReportPolicy
from safercities.reports.tests.factories import A1_POINT, A2_POINT, setup_categories


@pytest.fixture
def cats(city):
    build_small_city(city)
    return setup_categories(city)


def filed(city, category, point=A1_POINT, **kwargs):
    report, _t = actions.submit_report(
        city=city, category=category, description="Vandalised lamp again.", lat=point[0], lon=point[1], **kwargs
    )
    return report


def test_a_burst_of_published_reports_becomes_counted_community_incidents(cats, city, ana):
    indicator = Indicator.objects.get(city=city, code="fire-incidents")
    indicator.incident_categories = ["vandalism"]
    indicator.save(update_fields=["incident_categories"])
    burst = [filed(city, cats["lighting"]) for _ in range(6)] + [filed(city, cats["lighting"], A2_POINT)]
    for report in burst:
        actions.publish(report, user=ana, public_text="Vandalised lamp.")
    pending = filed(city, cats["lighting"])  # never published: never an incident
    result = monitoring.sync_incidents(city)
    assert result["created"] == 7 and pending
    incidents = Incident.objects.filter(city=city, source=Incident.COMMUNITY)
    assert incidents.count() == 7 and set(incidents.values_list("category", flat=True)) == {"vandalism"}
    assert monitoring.sync_incidents(city)["created"] == 0  # idempotent
    aggregate_incidents(city)
    month = timezone.localtime(burst[0].created_at, timezone=__import__("zoneinfo").ZoneInfo(city.timezone))
    period = f"{month.year:04d}-{month.month:02d}"
    a1 = Observation.objects.get(indicator=indicator, area__code="A1", period=period)
    assert a1.value == 6 and a1.quality == Observation.COMMUNITY
    # Spam and merged reports leave the monitoring.
    actions.moderate(burst[0], user=ana, verdict="spam")
    actions.merge(burst[1], into=burst[2], user=ana)
    assert monitoring.sync_incidents(city)["deleted"] == 2
    aggregate_incidents(city)
    assert Observation.objects.get(indicator=indicator, area__code="A1", period=period).value == 4


def test_publishing_queues_the_sync_job_which_aggregates(cats, city, ana, django_capture_on_commit_callbacks):
    report = filed(city, cats["lighting"])
    with django_capture_on_commit_callbacks(execute=True):
        actions.publish(report, user=ana, public_text="Lamp")
    job = queue.claim()
    assert job is not None and job.kind == "reports_sync"
    done = queue.run(job)
    assert done.status == "done" and done.result["created"] == 1


def test_accountability_medians_and_small_count_suppression(cats, city, ana):
    now = timezone.now()
    for hours in (1, 2, 3, 4, 50):
        report = filed(city, cats["lighting"])
        Report.objects.filter(pk=report.pk).update(
            created_at=now - timedelta(days=10),
            first_response_at=now - timedelta(days=10) + timedelta(hours=hours),
            resolved_at=now - timedelta(days=8) if hours < 4 else None,
        )
    filed(city, cats["gbv"])  # the women's office: one report only
    rows = {r.name: r for r in queries.accountability(city)}
    works = rows["Public works"]
    assert works.reports == 5 and not works.withheld
    assert works.median_first_response_days == round(3 / 24, 1)
    assert works.median_resolution_days == 2.0
    assert works.share_resolved == 0.6 and works.waiting == 0
    women = rows["Women's office"]
    assert women.withheld and women.median_first_response_days is None


def test_contacts_are_purged_after_retention(cats, city):
    old = filed(city, cats["lighting"], contact_email="a@example.org", contact_name="A")
    recent = filed(city, cats["lighting"], contact_email="b@example.org")
    still_open = filed(city, cats["lighting"], contact_email="c@example.org")
    Report.objects.filter(pk=old.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=400))
    Report.objects.filter(pk=recent.pk).update(status="closed", closed_at=timezone.now() - timedelta(days=10))
    call_command("purge_contacts")
    for report in (old, recent, still_open):
        report.refresh_from_db()
    assert not old.has_contact and old.contact_purged_at is not None
    assert recent.contact_email and still_open.contact_email
    ReportPolicy.objects.create(city=city, contact_retention_days=5)
    job = queue.enqueue("reports_purge", city=city)
    assert queue.run(queue.claim()).result == {"purged": 1} and job
    recent.refresh_from_db()
    assert not recent.has_contact


def test_sync_task_is_registered():
    assert queue.TASKS["reports_sync"] == "safercities.reports.tasks:sync"
    assert queue.TASKS["reports_purge"] == "safercities.reports.tasks:purge"


def test_a_sensitive_category_is_never_mirrored_into_a_general_incident_category(cats, city, ana):
    from django.core.exceptions import ValidationError

    gbv = cats["gbv"]
    gbv.incident_category = "vandalism"  # not sensitive
    with pytest.raises(ValidationError):
        gbv.full_clean()
    gbv.save()
    report = filed(city, gbv)
    actions.publish(report, user=ana, public_text="Harassment.")
    result = monitoring.sync_incidents(city)
    assert result["held_back"] == 1 and result["created"] == 0
