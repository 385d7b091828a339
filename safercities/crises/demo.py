"""The demo city's urban crisis: called by ``safercities demo`` after the data and users are loaded.

A river flood in the respond phase, activated from an early-warning alert on flood incidents (the
stored alert when the city has been computed, else a demo alert made here), over the alert's
neighbourhood and the neighbourhoods touching it; three organisations with twenty activities,
imported through the 4W importer like a partners' sheet; two allocation scenarios. A re-run finds the
crisis and changes nothing.
"""

from __future__ import annotations

import csv
import io
import random
import tempfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.db.models import Count, Sum

from safercities.analytics.periods import parse_period
from safercities.crises import advisor, fourw
from safercities.crises.models import Crisis, PhaseChange, Scenario
from safercities.indicators.models import Indicator, Observation
from safercities.monitoring.models import Alert
from safercities.places.models import Area, City
from safercities.portal import maps

NAME = "River flood"
SEED = 20240611
ORGS = (
    ("Cruz Roja Demo", "CRD", "Red Cross / Red Crescent", ("Health", "Shelter", "Protection")),
    ("Agua Para Todos", "APT", "national NGO", ("WASH", "Health")),
    ("Fondo de Emergencias Urbano", "FEU", "UN agency", ("Food Security", "Early Recovery", "Logistics")),
)
ACTIVITIES = {
    "Health": "Mobile clinic",
    "Shelter": "Emergency shelter kits",
    "Protection": "Child-friendly space",
    "WASH": "Water trucking and hygiene kits",
    "Food Security": "Food baskets",
    "Early Recovery": "Debris clearance (cash for work)",
    "Logistics": "Warehouse and transport",
}


def _alert(city: City) -> Alert | None:
    alerts = Alert.objects.filter(city=city).select_related("indicator", "area")
    found = alerts.filter(indicator__code="flood-incidents").order_by("-severity", "-period").first()
    found = found or alerts.filter(severity=Alert.RED).order_by("-period").first()
    if found is not None:
        return found
    indicator = Indicator.objects.filter(city=city, code="flood-incidents").first()
    if indicator is None:
        return None
    # The finest level with boundaries, and there the area with the most flood incidents lately.
    level = (
        Area.objects.filter(city=city)
        .exclude(geometry=None)
        .values("level")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("level", flat=True)
        .first()
    )
    totals = Observation.objects.filter(indicator=indicator, sex="", age_group="", disability="", area__level=level)
    periods = list(totals.order_by("-period_start").values_list("period", flat=True).distinct()[:6])
    if not periods:
        return None
    best = (
        totals.filter(period__in=periods)
        .values("area_id")
        .annotate(total=Sum("value"))
        .order_by("-total", "area_id")
        .first()
    )
    latest = (
        totals.filter(area_id=best["area_id"], period=periods[0]).first()
        or totals.filter(area_id=best["area_id"]).order_by("-period_start").first()
    )
    alert, _created = Alert.objects.get_or_create(
        indicator=indicator,
        area=latest.area,
        period=latest.period,
        kind=Alert.THRESHOLD,
        defaults={
            "city": city,
            "severity": Alert.RED,
            "observed": latest.value,
            "expected": max(latest.value / 3, 1.0),
            "upper": max(latest.value / 2, 1.0),
            "explanation": "Demo: flood incidents far above the usual level after days of heavy rain.",
        },
    )
    return alert


def _neighbours(area: Area) -> list[Area]:
    """The area and those of its level whose boundary touches it (at most six, nearest first)."""
    own = maps.geometry_of(area.geometry)
    if own is None:
        return [area]
    near = []
    for other in Area.objects.filter(city=area.city, level=area.level).exclude(pk=area.pk):
        geometry = maps.geometry_of(other.geometry)
        if geometry is not None and geometry.buffer(1e-6).intersects(own):
            near.append((own.centroid.distance(geometry.centroid), other.code, other))
    return [area] + [other for _d, _c, other in sorted(near)[:6]]


def _sheet(areas: list[Area], start) -> str:
    """A partners' 4W sheet (labels and HXL hashtags) with twenty activities; the last area is left out."""
    rng = random.Random(SEED)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.label for c in fourw.COLUMNS if c.field not in ("ref", "area_name", "reached_total")])
    writer.writerow([c.tag for c in fourw.COLUMNS if c.field not in ("ref", "area_name", "reached_total")])
    covered = areas[:-1] if len(areas) > 1 else areas
    for n in range(20):
        name, acronym, kind, sectors = ORGS[n % len(ORGS)]
        sector = sectors[n // len(ORGS) % len(sectors)]
        area = covered[n % len(covered)]
        status = ("ongoing", "completed", "planned")[0 if n % 5 else (1 if n % 10 else 2)]
        counts = [0] * 6 if status == "planned" else [rng.randint(5, 120) for _ in range(6)]
        begin = start.fromordinal(start.toordinal() + 1 + n % 7)
        end = begin.fromordinal(begin.toordinal() + 30).isoformat() if status == "completed" else ""
        writer.writerow(
            [name, acronym, kind, sector, f"{ACTIVITIES[sector]} ({n + 1})", area.code, begin.isoformat(), end, status]
            + counts
        )
    return buffer.getvalue()


def _need_basis(crisis: Crisis, alert: Alert) -> str:
    """The index once the city is computed; until then the first indicator that covers every area."""
    for need in ("index", alert.indicator.code, "disaster-affected", "poverty-national-line", "unemployment-rate"):
        trial = Scenario(city=crisis.city, crisis=crisis, name="trial", need=need, budget=Decimal("1000"))
        result = advisor.run(trial)
        if result.ok and not result.skipped:
            return need
    return "index"


def build(city: City, *, say: Callable[[str], None]) -> None:
    """Create this app's demo records; a re-run changes nothing."""
    if Crisis.objects.filter(city=city, name=NAME).exists():
        say("crises: the demo crisis is already present")
        return
    alert = _alert(city)
    if alert is None:
        say("crises: no flood data in the demo city; no demo crisis")
        return
    areas = _neighbours(alert.area)
    start = parse_period(alert.period).start
    with transaction.atomic():
        crisis = Crisis.objects.create(
            city=city,
            name=NAME,
            hazard="flood",
            phase="respond",
            description="Synthetic demo: the river burst its banks after a week of heavy rain.",
            started_on=start,
            alert=alert,
            indicator=alert.indicator,
            is_published=True,
        )
        crisis.areas.set(areas)
        PhaseChange.objects.create(city=city, crisis=crisis, phase="prepare", note="early warning")
        PhaseChange.objects.create(city=city, crisis=crisis, phase="respond", note="activated from the alert")
        with tempfile.TemporaryDirectory(prefix="sc-demo-4w-") as folder:
            path = Path(folder) / "4w.csv"
            path.write_text(_sheet(areas, start), encoding="utf-8")
            report = fourw.import_sheet(crisis, path)
        if not report.ok:  # pragma: no cover - the sheet is generated to be valid
            raise RuntimeError(f"the demo 4W sheet was rejected: {report.errors[:3]}")
        need = _need_basis(crisis, alert)
        Scenario.objects.create(
            city=city, crisis=crisis, name="Need only", need=need, budget=Decimal("500000"), floor=Decimal("0")
        )
        Scenario.objects.create(
            city=city,
            crisis=crisis,
            name="Floor for every area",
            need=need,
            budget=Decimal("500000"),
            floor=Decimal("40000"),
            cap=max(Decimal("150000"), Decimal(500000 // len(areas) + 1000)),
        )
    say(f"crises: {NAME!r} over {len(areas)} areas, {report.created} activities, 2 allocation scenarios")
