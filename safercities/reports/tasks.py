"""Background tasks of the reports app (registered in ``ReportsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from safercities.jobs.models import Job


def sync(job: Job) -> dict[str, Any]:
    """Mirror the city's published reports into community incidents, then re-aggregate what changed."""
    from safercities.reports.monitoring import sync_incidents

    return sync_incidents(job.city, aggregate=True)


def purge(job: Job) -> dict[str, Any]:
    """Blank reporters' contact details past the retention period (every city, or the job's city)."""
    from safercities.reports.actions import purge_contacts

    return {"purged": purge_contacts(city=job.city)}
