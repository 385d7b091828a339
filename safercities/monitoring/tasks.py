"""Background tasks of the monitoring app (filled in as the analytics land)."""

from __future__ import annotations

from typing import Any

from safercities.jobs.models import Job


def compute_city(job: Job) -> dict[str, Any]:
    """Recompute every stored result of a city; safe to re-run (results are replaced)."""
    from safercities.monitoring.compute import compute_all

    return compute_all(job.city, job=job)
