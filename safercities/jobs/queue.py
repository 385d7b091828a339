"""Enqueue, claim, run and recover jobs. Tasks are registered by name in :data:`TASKS`."""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.db import transaction
from django.utils import timezone

from safercities.jobs.models import Job
from safercities.places.models import City

logger = logging.getLogger(__name__)

# kind -> "module:function"; the function takes (job: Job) and returns a JSON-able result.
TASKS: dict[str, str] = {
    "compute": "safercities.monitoring.tasks:compute_city",
    "import": "safercities.workspace.tasks:run_upload",
}
STALE_AFTER = timedelta(minutes=10)


def enqueue(kind: str, *, city: City | None = None, params: dict[str, Any] | None = None, key: str = "") -> Job:
    """Queue a job, merging it with an identical one that has not started yet."""
    if kind not in TASKS:
        raise ValueError(f"unknown job kind {kind!r}")
    key = key or f"{kind}:{city.pk if city else '-'}"
    existing = Job.objects.filter(key=key, status=Job.QUEUED).first()
    if existing is not None:
        return existing
    return Job.objects.create(kind=kind, city=city, params=params or {}, key=key, run_after=timezone.now())


def enqueue_on_commit(kind: str, *, city: City | None = None, params: dict[str, Any] | None = None) -> None:
    """Queue after the surrounding transaction commits (a rolled-back import queues nothing)."""
    transaction.on_commit(lambda: enqueue(kind, city=city, params=params))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def recover_stale(now: Any = None) -> int:
    """Re-queue running jobs whose worker stopped sending heartbeats (killed, OOM, power cut)."""
    now = now or timezone.now()
    stale = Job.objects.filter(status=Job.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    count = 0
    for job in stale:
        new_status = Job.QUEUED if job.attempts < job.max_attempts else Job.FAILED
        count += Job.objects.filter(pk=job.pk, status=Job.RUNNING, heartbeat_at=job.heartbeat_at).update(
            status=new_status, worker="", error=f"worker {job.worker} stopped responding; retried"
        )
    return count


def claim(name: str | None = None) -> Job | None:
    """Take the oldest due job with a compare-and-swap; None when there is nothing to do."""
    name = name or worker_name()
    now = timezone.now()
    for job_id in Job.objects.filter(status=Job.QUEUED, run_after__lte=now).values_list("pk", flat=True)[:10]:
        taken = Job.objects.filter(pk=job_id, status=Job.QUEUED).update(
            status=Job.RUNNING, worker=name, heartbeat_at=now, started_at=now
        )
        if taken:
            job = Job.objects.get(pk=job_id)
            Job.objects.filter(pk=job_id).update(attempts=job.attempts + 1)
            job.attempts += 1
            return job
    return None


def heartbeat(job: Job, progress: float | None = None) -> None:
    """Tell the queue the job is alive (and how far it is)."""
    fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if progress is not None:
        fields["progress"] = max(0.0, min(1.0, progress))
    Job.objects.filter(pk=job.pk).update(**fields)


def _resolve(kind: str) -> Callable[[Job], Any]:
    module, function = TASKS[kind].split(":")
    return getattr(import_module(module), function)


def run(job: Job) -> Job:
    """Run one claimed job and record its outcome; a failure is retried until ``max_attempts``."""
    try:
        result = _resolve(job.kind)(job)
    except Exception as exc:
        logger.exception("job %s failed", job.pk)
        retry = job.attempts < job.max_attempts
        Job.objects.filter(pk=job.pk).update(
            status=Job.QUEUED if retry else Job.FAILED,
            error="".join(traceback.format_exception_only(type(exc), exc)).strip()[:5000],
            run_after=timezone.now() + timedelta(seconds=30 * job.attempts),
            finished_at=None if retry else timezone.now(),
        )
    else:
        Job.objects.filter(pk=job.pk).update(
            status=Job.DONE, result=result or {}, progress=1.0, finished_at=timezone.now(), error=""
        )
    job.refresh_from_db()
    return job


def run_pending(limit: int | None = None) -> int:
    """Run due jobs until none is left (or ``limit``); used by the worker and by tests."""
    done = 0
    recover_stale()
    while limit is None or done < limit:
        job = claim()
        if job is None:
            break
        run(job)
        done += 1
    return done
