"""Recompute every stored result of a city: index, alerts, hot spots (and, on request, incident aggregation).

Each step replaces its own results in its own transaction, keyed by what the results describe, so a
job that dies half-way can simply run again (the queue retries it).

The incidents importer aggregates the months it imported inside its own transaction, so re-aggregating
here by default would re-write and compare ~600,000 unchanged cells on a large city (16–24 s) for
nothing. Aggregation runs only when asked (``aggregate=True``, ``safercities compute --aggregate``) or,
in the background job, when an import since the previous compute job could have left the incident
observations stale: an incidents import run with ``aggregate=False``, or an areas, population or
indicators import (populations feed rates; an indicator's categories or ``rate_per`` define its counts).
"""

from __future__ import annotations

import gc
import importlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from safercities.jobs.models import Job
from safercities.places.models import City

# What a compute imports: loaded by the job worker when it starts (``preload``), so that a job does not
# pay ~1.5 s of module loading (scipy.stats, statsmodels' GLM, the analytics) — once per process.
COMPUTE_MODULES = (
    "safercities.incidents.aggregation",
    "safercities.monitoring.index_results",
    "safercities.monitoring.alert_results",
    "safercities.monitoring.hotspot_results",
    "safercities.portal.cache",
    "statsmodels.genmod.generalized_linear_model",
)

# Import kinds whose success can change what ``aggregate_incidents`` would write.
STALE_AFTER = ("areas", "population", "indicators")


def aggregation_needed(city: City, job: Job) -> bool:
    """Whether the background job must re-aggregate: some import since the previous compute job left the
    incident observations possibly stale (two small queries; no previous job counts every import)."""
    from safercities.ingest.models import ImportRun

    if (job.params or {}).get("aggregate"):
        return True
    previous = (
        Job.objects.filter(kind=job.kind, city=city, status=Job.DONE, started_at__isnull=False)
        .exclude(pk=job.pk)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    runs = ImportRun.objects.filter(city=city, status=ImportRun.OK)
    if previous is not None:
        runs = runs.filter(finished_at__gte=previous)
    if runs.filter(kind__in=STALE_AFTER).exists():
        return True
    skipped = runs.filter(kind="incidents").values_list("options", flat=True)
    return any(str((options or {}).get("aggregate", True)).lower() in {"false", "0"} for options in skipped)


def preload() -> float:
    """Import :data:`COMPUTE_MODULES` now; returns the seconds it took."""
    started = time.perf_counter()
    for name in COMPUTE_MODULES:
        importlib.import_module(name)
    return time.perf_counter() - started


@contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block, then one collection.

    A compute reads ~2 M database rows into tuples and builds ~20,000 result objects; every 700 new
    container objects start a collection that walks the young heap, and the older generations are walked
    again and again as they grow: measured, half of the time of a 3 M-row fetch (12.6 s instead of 38 s
    with the collector off). Nothing a compute allocates needs the cycle collector before it ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


def compute_all(city: City, *, job: Job | None = None, draws: int = 1000, aggregate: bool = False) -> dict[str, Any]:
    """Index, alerts and hot spots of ``city``; incident aggregation first when ``aggregate`` (or, for a
    background ``job``, when :func:`aggregation_needed`). ``summary["seconds"]`` times each step."""
    from safercities.incidents.aggregation import aggregate_incidents
    from safercities.jobs.queue import heartbeat
    from safercities.monitoring.alert_results import compute_alerts
    from safercities.monitoring.hotspot_results import compute_hotspots
    from safercities.monitoring.index_results import compute_city_indices

    if not aggregate and job is not None:
        aggregate = aggregation_needed(city, job)
    steps = [("aggregation", lambda: aggregate_incidents(city))] if aggregate else []
    shared: dict[str, Any] = {}  # what one step reads and a later one reuses (the observations' summary)
    steps += [
        ("index", lambda: compute_city_indices(city, draws=draws, shared=shared)),
        ("alerts", lambda: compute_alerts(city, shared=shared)),
        ("hotspots", lambda: compute_hotspots(city)),
    ]
    summary: dict[str, Any] = {"city": city.slug, "seconds": {}}
    with paused_gc():
        for position, (name, step) in enumerate(steps):
            started = time.perf_counter()
            result = step()
            summary["seconds"][name] = round(time.perf_counter() - started, 3)
            summary[name] = {k: v for k, v in (result or {}).items() if isinstance(v, int | float | str)}
            if job is not None:
                heartbeat(job, (position + 1) / len(steps))
    __import__("safercities.portal.cache", fromlist=["invalidate"]).invalidate(city)  # public pages: new results
    return summary
