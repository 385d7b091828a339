"""Background tasks of the reports app (registered in ``ReportsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from safercities.jobs.models import Job


def sync(job: Job) -> dict[str, Any]:
    """Mirror the city's published reports into community incidents, then re-aggregate what changed."""
    from safercities.reports.monitoring import sync_incidents

    return sync_incidents(job.city, aggregate=True)


def purge(job: Job) -> dict[str, Any]:
    """The daily purge (every city, or the job's city): reporters' contact details past retention, and
    community follow requests never confirmed (``followers_purged``, present when any was deleted)."""
    from safercities.community.actions import purge_unconfirmed_followers
    from safercities.reports.actions import purge_contacts

    result: dict[str, Any] = {"purged": purge_contacts(city=job.city)}
    followers = purge_unconfirmed_followers(city=job.city)
    if followers:
        result["followers_purged"] = followers
    return result
