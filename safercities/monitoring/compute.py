"""Recompute every stored result of a city: incident aggregation, index, alerts, hot spots.

Each step replaces its own results in its own transaction, keyed by what the results describe, so a
job that dies half-way can simply run again (the queue retries it).
"""

from __future__ import annotations

import time
from typing import Any

from safercities.jobs.models import Job
from safercities.places.models import City


def compute_all(city: City, *, job: Job | None = None, draws: int = 1000) -> dict[str, Any]:
    from safercities.incidents.aggregation import aggregate_incidents
    from safercities.jobs.queue import heartbeat
    from safercities.monitoring.alert_results import compute_alerts
    from safercities.monitoring.hotspot_results import compute_hotspots
    from safercities.monitoring.index_results import compute_city_indices

    steps = [
        ("aggregation", lambda: aggregate_incidents(city)),
        ("index", lambda: compute_city_indices(city, draws=draws)),
        ("alerts", lambda: compute_alerts(city)),
        ("hotspots", lambda: compute_hotspots(city)),
    ]
    summary: dict[str, Any] = {"city": city.slug, "seconds": {}}
    for position, (name, step) in enumerate(steps):
        started = time.perf_counter()
        result = step()
        summary["seconds"][name] = round(time.perf_counter() - started, 3)
        summary[name] = {k: v for k, v in (result or {}).items() if isinstance(v, int | float | str)}
        if job is not None:
            heartbeat(job, (position + 1) / len(steps))
    return summary
