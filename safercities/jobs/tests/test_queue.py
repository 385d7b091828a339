"""The job queue: deduplication, compare-and-swap claims, retries, and recovery from a killed worker."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from safercities.jobs import queue
from safercities.jobs.models import Job
from safercities.places.models import Area

CALLS: list[int] = []


def ok_task(job):
    CALLS.append(job.pk)
    return {"ok": True}


def failing_task(job):
    raise RuntimeError("boom")


def half_writing_task(job):
    """Writes inside a transaction and dies half-way: nothing of it may remain."""
    with transaction.atomic():
        Area.objects.create(city=job.city, code="HALF", name="half-written")
        raise RuntimeError("killed mid-write")


@pytest.fixture
def tasks(monkeypatch):
    CALLS.clear()
    monkeypatch.setitem(queue.TASKS, "ok", f"{__name__}:ok_task")
    monkeypatch.setitem(queue.TASKS, "fail", f"{__name__}:failing_task")
    monkeypatch.setitem(queue.TASKS, "half", f"{__name__}:half_writing_task")


def test_enqueue_merges_identical_queued_jobs(city, tasks):
    first = queue.enqueue("ok", city=city)
    second = queue.enqueue("ok", city=city)
    assert first.pk == second.pk
    assert Job.objects.count() == 1
    with pytest.raises(ValueError, match="unknown job kind"):
        queue.enqueue("nope", city=city)


def test_claim_is_exclusive_and_runs(city, tasks):
    job = queue.enqueue("ok", city=city)
    claimed = queue.claim("worker-a")
    assert claimed is not None and claimed.pk == job.pk
    assert queue.claim("worker-b") is None  # already running: the second worker gets nothing
    queue.run(claimed)
    job.refresh_from_db()
    assert job.status == Job.DONE and job.result == {"ok": True} and CALLS == [job.pk]


def test_failure_is_retried_then_marked_failed(city, tasks):
    job = queue.enqueue("fail", city=city)
    for _attempt in range(job.max_attempts):
        Job.objects.filter(pk=job.pk).update(run_after=timezone.now() - timedelta(seconds=1))
        claimed = queue.claim()
        assert claimed is not None
        queue.run(claimed)
    job.refresh_from_db()
    assert job.status == Job.FAILED and "boom" in job.error and job.attempts == job.max_attempts


def test_killed_worker_job_is_recovered_and_rerun(city, tasks):
    job = queue.enqueue("ok", city=city)
    claimed = queue.claim("worker-that-dies")
    assert claimed is not None
    # The worker dies: no more heartbeats. After STALE_AFTER the job is queued again and runs.
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - queue.STALE_AFTER - timedelta(seconds=1))
    assert queue.run_pending() == 1
    job.refresh_from_db()
    assert job.status == Job.DONE and job.attempts == 2 and CALLS == [job.pk]


def test_task_dying_mid_write_leaves_nothing(city, tasks):
    queue.enqueue("half", city=city)
    queue.run_pending(limit=1)
    assert not Area.objects.filter(code="HALF").exists()
    job = Job.objects.get(kind="half")
    assert job.status == Job.QUEUED and "killed mid-write" in job.error  # will be retried later
