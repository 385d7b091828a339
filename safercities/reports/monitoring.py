"""Published reports into the monitoring: one community ``Incident`` per published, unmerged report.

Reports then count in the incident aggregation (``incidents.aggregation``), hence in the indicators,
the index and early warning, beside official data (``source = community``). The mirror is idempotent:
each incident's fingerprint is derived from the report's reference, so re-running changes nothing;
reports that were merged, rejected or marked as spam lose their incident. Only reports whose category
names an ``incident_category`` are mirrored, and a sensitive report category only into an incident
category that is itself sensitive (else the report is held back and counted in ``held_back``). The
incidents table is internal (exact points stay there, as for official data); public outputs of
incidents apply the portal's disclosure rules.

Incidents are normally written by the importer, which locks rows for bulk speed; the handful of rows
here are written through the ORM one by one (``Incident.save`` fills the local month).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import transaction

from safercities.incidents.models import Incident
from safercities.places.models import City
from safercities.reports.models import Report

PREFIX = "report:"


def fingerprint(report: Report) -> str:
    return hashlib.sha256(f"{PREFIX}{report.reference}".encode()).hexdigest()


def _h3(report: Report) -> str:
    if report.lat is None or report.lon is None:
        return ""
    import h3

    return h3.latlng_to_cell(report.lat, report.lon, settings.INCIDENT_H3_RESOLUTION)


def sync_incidents(city: City, *, aggregate: bool = False) -> dict[str, Any]:
    """Create, update and delete the city's community incidents so they match its published reports.

    With ``aggregate``, re-aggregate the months that changed and queue a recompute of the indices and
    alerts. Returns counts ``created``, ``updated``, ``deleted``, ``unchanged`` and the ``months``.
    """
    from safercities.incidents.models import IncidentCategory

    # A sensitive report category must count as a *sensitive* incident category, or its points would be
    # published at the general resolution by the incident outputs: such reports are held back (counted).
    sensitive_codes = set(IncidentCategory.objects.filter(city=city, sensitive=True).values_list("code", flat=True))
    published = (
        Report.objects.filter(city=city, moderation=Report.PUBLISHED, merged_into__isnull=True)
        .exclude(category__incident_category="")
        .select_related("category")
    )
    held_back = [r for r in published if r.category.sensitive and r.category.incident_category not in sensitive_codes]
    wanted = {fingerprint(r): r for r in published if r not in held_back}
    existing = {
        i.fingerprint: i
        for i in Incident.objects.filter(city=city, source=Incident.COMMUNITY, external_id__startswith=PREFIX)
    }
    counts: dict[str, Any] = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0, "held_back": len(held_back)}
    months: set[str] = set()
    with transaction.atomic():
        for key, incident in existing.items():
            if key not in wanted:
                months.add(incident.month)
                incident.delete()
                counts["deleted"] += 1
        for key, report in wanted.items():
            values = {
                "external_id": f"{PREFIX}{report.reference}",
                "occurred_at": report.created_at,
                "category": report.category.incident_category,
                "lat": report.lat,
                "lon": report.lon,
                "area_id": report.area_id,
                "h3_cell": _h3(report),
                "source": Incident.COMMUNITY,
            }
            incident = existing.get(key)
            if incident is None:
                incident = Incident(city=city, fingerprint=key, **values)
                incident.save()
                months.add(incident.month)
                counts["created"] += 1
                continue
            changed = [name for name, value in values.items() if getattr(incident, name) != value]
            if changed:
                months.add(incident.month)
                for name in changed:
                    setattr(incident, name, values[name])
                incident.save()
                months.add(incident.month)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
    months.discard("")
    counts["months"] = sorted(months)
    if aggregate and months:
        from safercities.incidents.aggregation import aggregate_incidents
        from safercities.jobs.queue import enqueue

        counts["aggregation"] = {
            k: v for k, v in aggregate_incidents(city, months=sorted(months)).items() if k != "without_population"
        }
        enqueue("compute", city=city)
    return counts
