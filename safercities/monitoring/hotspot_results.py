"""Spatial hot spots on the Django side: rows → values and weights → analytics → stored results.

Two kinds of unit (docs/methodology-spatial.md):

- **areas** of one level: polygons get queen contiguity, point areas (police stations) their six
  nearest neighbours. The value is the indicator's total for the period; for incident rates it is the
  empirical-Bayes smoothed rate (events = the counts, population = the denominator), so that small
  populations do not produce spurious extremes (Marshall 1991).
- **h3 cells** at a resolution: the incidents of the indicator's categories counted per cell over the
  period, on every cell that covers the city's areas (zeros included: leaving out empty cells would
  bias every statistic), with k = 1 ring adjacency.

For a period that is a year, monthly observations are summed (counts) or recomputed from summed
numerators and the mean denominator (rates).
"""

from __future__ import annotations

import math
import zlib
from collections import defaultdict
from datetime import datetime, time, timedelta
from typing import Any

import h3
import numpy as np
from django.db import transaction
from django.db.models import Avg, Count, Sum
from django.utils import timezone

from safercities.analytics.periods import parse_period
from safercities.analytics.spatial.hotspots import HotspotResult as SpatialResult
from safercities.analytics.spatial.hotspots import hotspot_analysis
from safercities.analytics.spatial.smoothing import empirical_bayes
from safercities.analytics.spatial.weights import SpatialWeights, h3_weights, knn_weights, queen_weights
from safercities.incidents.models import Incident
from safercities.indicators.models import Indicator, Observation
from safercities.monitoring.models import HotspotResult
from safercities.places.models import Area, City


class HotspotError(ValueError):
    """No analysis is possible for the request (unknown indicator, no data, too few units)."""


MIN_UNITS = 8


# The smallest cluster a map must be able to show, in significant units (the demo's planted market
# cluster: 8 neighbourhoods). See docs/methodology-spatial.md §5 for the choice.
DESIGN_HOT_UNITS = 8
MIN_PERMUTATIONS = 999


def _permutations(n: int) -> int:
    """Permutations for a map of ``n`` units: R ≥ 40·n / hot units (methodology §5), at least 999.

    Under Benjamini–Hochberg at q = 0.05 the k-th smallest p must be ≤ k·q/n, and the smallest pseudo p is
    2/(R + 1): with fewer permutations a cluster of ``DESIGN_HOT_UNITS`` units can never be significant
    (2,000 units need 9,999; measured: 4,999 loses most 8-unit clusters that 9,999 finds)."""
    return max(MIN_PERMUTATIONS, math.ceil(40 * n / DESIGN_HOT_UNITS) - 1)


def _seed(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def area_values(city: City, indicator: Indicator, period: str, level: str) -> dict[str, float]:
    """The indicator's value per area of ``level`` for ``period`` (EB-smoothed for rates)."""
    target = parse_period(period)
    rows = Observation.objects.filter(
        indicator=indicator,
        area__level=level,
        sex="",
        age_group="",
        disability="",
        period_start__gte=target.start,
        period_end__lte=target.end,
    )
    exact = rows.filter(period=target.code)
    if exact.exists():
        data = list(exact.values_list("area__code", "value", "numerator", "denominator"))
    else:
        data = [
            (row["area__code"], row["total"], row["events"], row["population"])
            for row in rows.values("area__code").annotate(
                total=Sum("value") if indicator.aggregation == "sum" else Avg("value"),
                events=Sum("numerator"),
                population=Avg("denominator"),
            )
        ]
    if indicator.aggregation == "rate":
        usable = [(c, n, d) for c, _v, n, d in data if n is not None and d]
        if len(usable) >= MIN_UNITS:
            smoothed = empirical_bayes([n for _c, n, _d in usable], [d for _c, _n, d in usable])
            rate_per = float(indicator.rate_per or 1)
            return {c: float(r) * rate_per for (c, _n, _d), r in zip(usable, smoothed.smoothed, strict=True)}
    return {code: float(value) for code, value, _n, _d in data if value is not None}


def area_weights(city: City, level: str) -> SpatialWeights:
    areas = list(Area.objects.filter(city=city, level=level).order_by("code"))
    polygons = [a for a in areas if a.geometry and (a.area_km2 or 0) > 0]
    if len(polygons) >= MIN_UNITS and len(polygons) == len(areas):
        return queen_weights([a.geometry for a in polygons], [a.code for a in polygons])
    points = [a for a in areas if a.centroid_lat is not None]
    if len(points) < MIN_UNITS:
        raise HotspotError(f"level {level!r} has fewer than {MIN_UNITS} areas with a place")
    return knn_weights([(a.centroid_lon, a.centroid_lat) for a in points], [a.code for a in points], k=6)


def covering_cells(city: City, resolution: int) -> list[str]:
    """The h3 cells at ``resolution`` covering the city's polygon areas."""
    cells: dict[str, None] = {}
    for area in Area.objects.filter(city=city).exclude(geometry=None).only("geometry", "area_km2"):
        if (area.area_km2 or 0) <= 0:
            continue
        try:
            for cell in h3.geo_to_cells(area.geometry, resolution):
                cells[cell] = None
        except (ValueError, TypeError):
            continue
    return list(cells)


def h3_values(
    city: City, indicator: Indicator, period: str, resolution: int, *, cache: dict | None = None
) -> dict[str, float]:
    """Incident counts per h3 cell (zeros included) over the cells covering the city's areas."""
    if not indicator.incident_categories:
        raise HotspotError(f"indicator {indicator.code!r} does not count incidents; use --level")
    target = parse_period(period)
    cache = {} if cache is None else cache
    if ("cells", resolution) not in cache:
        cache[("cells", resolution)] = covering_cells(city, resolution)
    cells: dict[str, float] = dict.fromkeys(cache[("cells", resolution)], 0.0)
    counts: dict[str, int] = defaultdict(int)
    # ``occurred_at__date`` in the current time zone, as a range of instants: the same rows, but served by
    # the (city, category, occurred_at) index instead of a per-row date function (Python on SQLite).
    zone = timezone.get_current_timezone()
    incidents = Incident.objects.filter(
        city=city,
        category__in=indicator.incident_categories,
        occurred_at__gte=datetime.combine(target.start, time(0), tzinfo=zone),
        occurred_at__lt=datetime.combine(target.end + timedelta(days=1), time(0), tzinfo=zone),
    ).exclude(h3_cell="")
    for cell, n in incidents.values("h3_cell").annotate(n=Count("id")).values_list("h3_cell", "n"):
        parent = h3.cell_to_parent(cell, resolution) if h3.get_resolution(cell) > resolution else cell
        counts[parent] += n
    for cell, n in counts.items():
        cells[cell] = float(n)
    return cells


def analyse(
    city: City,
    indicator: Indicator,
    period: str,
    *,
    level: str | None = None,
    h3_resolution: int | None = None,
    cache: dict | None = None,
) -> tuple[str, SpatialResult]:
    """Run the analysis for one indicator, period and unit; returns (unit label, result).

    ``cache`` (a dict the caller keeps) lets several indicators share the weights and covering cells,
    which do not depend on the indicator: :func:`compute_hotspots` builds them once per unit.
    """
    cache = {} if cache is None else cache
    period = parse_period(period).code
    if h3_resolution is not None:
        if not 0 <= h3_resolution <= 15:
            raise HotspotError("the h3 resolution must be between 0 and 15")
        values = h3_values(city, indicator, period, h3_resolution, cache=cache)
        if len(values) < MIN_UNITS:
            raise HotspotError("too few h3 cells cover the city's areas at that resolution")
        cells = tuple(sorted(values))
        if cache.get(("h3-weights", h3_resolution), (None,))[0] != cells:
            rings = cache.setdefault(("h3-rings", h3_resolution), {})  # the disks, shared by the cell sets
            cache[("h3-weights", h3_resolution)] = (cells, h3_weights(list(cells), k=1, rings=rings))
        weights = cache[("h3-weights", h3_resolution)][1]
        unit = f"h3-{h3_resolution}"
    else:
        if level is None:
            raise HotspotError("give an area level or an h3 resolution")
        values = area_values(city, indicator, period, level)
        if len(values) < MIN_UNITS:
            raise HotspotError(f"indicator {indicator.code!r} has values for fewer than {MIN_UNITS} areas in {period}")
        if ("level", level) not in cache:
            cache[("level", level)] = area_weights(city, level)
        weights = cache[("level", level)]
        known = set(weights.codes)
        values = {code: v for code, v in values.items() if code in known}
        unit = level
    if np.ptp(np.array(list(values.values()), dtype=float)) == 0:
        raise HotspotError("every unit has the same value: there is no spatial pattern to test")
    result = hotspot_analysis(
        values, weights, permutations=_permutations(len(values)), seed=_seed(city.slug, indicator.code, period, unit)
    )
    return unit, result


def store(city: City, indicator: Indicator, period: str, unit: str, result: SpatialResult) -> HotspotResult:
    data = result.as_dict()
    with transaction.atomic():
        row, _created = HotspotResult.objects.update_or_create(
            indicator=indicator,
            period=parse_period(period).code,
            unit=unit,
            defaults={
                "city": city,
                "weights": data["weights"],
                "moran": data["moran"],
                "units": data["units"],
                "computed_at": timezone.now(),
            },
        )
    return row


def finest_polygon_level(city: City) -> str | None:
    """The area level with the most polygon areas (neighbourhoods rather than districts)."""
    levels = (
        Area.objects.filter(city=city, area_km2__gt=0).values("level").annotate(n=Count("id")).order_by("-n", "level")
    )
    first = levels.first()
    return first["level"] if first else None


def latest_incident_month(city: City) -> str | None:
    """The newest month of aggregated incident observations of the indicators that count incidents (the
    ones analysed): one query per indicator, each answered by the (city, indicator, period_start) index
    from its end — one query over the whole city cannot use it and sorts every observation (8 s on SQLite
    for 3 M rows)."""
    newest = []
    for indicator in Indicator.objects.filter(city=city).exclude(incident_categories=[]).values_list("pk", flat=True):
        row = (
            Observation.objects.filter(city=city, indicator_id=indicator, period_type="month", source="incidents")
            .order_by("-period_start")
            .values_list("period_start", "period")
            .first()
        )
        if row is not None:
            newest.append(row)
    return max(newest)[1] if newest else None


def compute_hotspots(city: City) -> dict[str, Any]:
    """Hot spots of every incident indicator for the latest month, on areas and on h3 cells."""
    stored, skipped = 0, {}
    latest = latest_incident_month(city)
    level = finest_polygon_level(city)
    if latest is None or level is None:
        return {"hotspot_results": 0}
    resolution = max(0, city.h3_resolution - 1)
    cache: dict = {}  # weights and covering cells, shared by the indicators
    for indicator in Indicator.objects.filter(city=city).exclude(incident_categories=[]).order_by("code"):
        for kwargs in ({"level": level}, {"h3_resolution": resolution}):
            try:
                unit, result = analyse(city, indicator, latest, cache=cache, **kwargs)
            except HotspotError as exc:
                skipped[f"{indicator.code}:{next(iter(kwargs.values()))}"] = str(exc)
                continue
            store(city, indicator, latest, unit, result)
            stored += 1
    return {"hotspot_results": stored, "hotspots_skipped": len(skipped), "hotspot_period": latest}
