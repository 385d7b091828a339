"""``compute`` re-aggregates incidents only when asked or when an import may have left them stale."""

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from safercities.ingest.models import ImportRun
from safercities.jobs import queue
from safercities.jobs.models import Job
from safercities.monitoring import compute


@pytest.fixture
def calls(monkeypatch):
    """Record calls of aggregate_incidents instead of running it."""
    seen = []
    monkeypatch.setattr(
        "safercities.incidents.aggregation.aggregate_incidents",
        lambda city, **kw: seen.append(city.slug) or {"created": 0, "updated": 0, "unchanged": 0},
    )
    return seen


def run(city, kind, options=None, finished=None):
    return ImportRun.objects.create(
        city=city,
        kind=kind,
        filename="f.csv",
        file_sha256="",
        options=options or {},
        status=ImportRun.OK,
        finished_at=finished or timezone.now(),
    )


def test_compute_skips_aggregation_unless_asked(city, calls):
    summary = compute.compute_all(city, draws=0)
    assert calls == [] and "aggregation" not in summary["seconds"]
    assert list(summary["seconds"]) == ["index", "alerts", "hotspots"]
    summary = compute.compute_all(city, draws=0, aggregate=True)
    assert calls == ["testville"] and "aggregation" in summary["seconds"]


def test_command_aggregate_flag(city, calls):
    out = io.StringIO()
    call_command("compute", "--city", "testville", "--draws", "0", "--json", stdout=out)
    assert "aggregation" not in json.loads(out.getvalue())["seconds"] and calls == []
    out = io.StringIO()
    call_command("compute", "--city", "testville", "--draws", "0", "--json", "--aggregate", stdout=out)
    assert "aggregation" in json.loads(out.getvalue())["seconds"] and calls == ["testville"]
    out = io.StringIO()
    call_command("compute", "--city", "testville", "--queue", "--aggregate", "--json", stdout=out)
    job = Job.objects.get(pk=json.loads(out.getvalue())["queued"])
    assert job.params == {"aggregate": True}
    assert compute.aggregation_needed(city, job)


def test_job_after_a_self_aggregating_incidents_import_does_not_aggregate(city, calls):
    run(city, "incidents", {"source": "official"})
    run(city, "observations")
    job = queue.enqueue("compute", city=city)
    assert not compute.aggregation_needed(city, job)
    assert queue.run_pending() == 1
    job.refresh_from_db()
    assert job.status == Job.DONE, job.error
    assert calls == [] and "aggregation" not in job.result["seconds"]


@pytest.mark.parametrize(
    ("kind", "options"),
    [("incidents", {"aggregate": "False"}), ("population", {}), ("areas", {}), ("indicators", {})],
)
def test_job_aggregates_after_imports_that_leave_incident_observations_stale(city, calls, kind, options):
    run(city, kind, options)
    job = queue.enqueue("compute", city=city)
    assert queue.run_pending() == 1
    job.refresh_from_db()
    assert job.status == Job.DONE, job.error
    assert calls == ["testville"] and "aggregation" in job.result["seconds"]


def test_only_imports_since_the_previous_compute_job_count(city):
    earlier = timezone.now() - timedelta(hours=2)
    run(city, "population", finished=earlier)
    done = Job.objects.create(
        kind="compute",
        city=city,
        key="old",
        status=Job.DONE,
        run_after=earlier,
        started_at=earlier + timedelta(minutes=30),
    )
    job = queue.enqueue("compute", city=city)
    assert not compute.aggregation_needed(city, job)
    run(city, "incidents", {"aggregate": "0"}, finished=done.started_at + timedelta(minutes=5))
    assert compute.aggregation_needed(city, job)
