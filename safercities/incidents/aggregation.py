"""Incidents → monthly observations of the indicators that count them (docs/import-incidents.md).

For every indicator of the city with ``incident_categories``, the incidents of those categories are
counted per area and calendar month *in the city's time zone* (``Incident.month``) by one ``GROUP BY`` in
the database (the rows never come into Python), rolled up to every ancestor area, and written as observations:

- ``sum``:  value = count
- ``rate``: value = count / population × rate_per, population = the area's total population
  (blank sex and age group) of the latest year at or before the month's year; areas without one are
  skipped and reported.

Official and community reports are counted together: the observation's uniqueness (indicator, area,
period, disaggregation) has no room for two qualities, so ``quality`` is ``community`` when any
community report contributed to the cell and ``official`` otherwise. Observations written here carry
``source = "incidents"``; a cell someone entered by hand is left alone and counted in ``kept_manual``.
Re-running is idempotent, and a cell whose count fell to zero is set to 0 rather than left stale.
"""

from __future__ import annotations

import bisect
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db.models import Count, Max, Min, Q

from safercities.analytics.periods import month_period, parse_period
from safercities.incidents.bulk import merger
from safercities.incidents.models import Incident
from safercities.indicators.models import Indicator, Observation
from safercities.places.models import Area, AreaPopulation, City

AGGREGATED_SOURCE = "incidents"


def _months_between(first: datetime | None, last: datetime | None, tz: zoneinfo.ZoneInfo) -> list[str]:
    """The ``YYYY-MM`` codes of every local month from ``first`` to ``last`` (none when there is no data)."""
    if first is None or last is None:
        return []
    first, last = first.astimezone(tz), last.astimezone(tz)
    codes, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        codes.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return codes


def _month_code(text: str) -> str:
    period = parse_period(text)
    if period.kind != "month":
        raise ValueError(f"{text!r} is not a month (use YYYY-MM)")
    return period.code


def _ancestors(city: City) -> dict[int, list[int]]:
    """Each area's own id followed by its ancestors' ids (a cycle in bad data stops the walk)."""
    parent = dict(Area.objects.filter(city=city).values_list("id", "parent_id"))
    chains: dict[int, list[int]] = {}
    for area_id in parent:
        chain, seen, current = [], set(), area_id
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = parent.get(current)
        chains[area_id] = chain
    return chains


def _populations(city: City) -> dict[int, tuple[list[int], list[int]]]:
    """area id → (sorted years, populations) of total populations."""
    rows = (
        AreaPopulation.objects.filter(area__city=city, sex="", age_group="")
        .order_by("area_id", "year")
        .values_list("area_id", "year", "population")
    )
    table: dict[int, tuple[list[int], list[int]]] = {}
    for area_id, year, population in rows:
        years, values = table.setdefault(area_id, ([], []))
        years.append(year)
        values.append(population)
    return table


def aggregate_incidents(city: City, *, months: Iterable[str] | None = None) -> dict[str, Any]:
    """Write the monthly incident counts (or rates) of every incident-based indicator of ``city``.

    ``months`` (``YYYY-MM`` codes) limits the work to those months; ``None`` recomputes all. Returns
    counts: ``created``, ``updated``, ``unchanged``, ``zeroed`` (stale cells set to 0),
    ``kept_manual`` and ``without_population`` (``"AREA YEAR"`` strings for skipped rate cells).
    """
    result: dict[str, Any] = {
        "indicators": 0,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "zeroed": 0,
        "kept_manual": 0,
        "without_population": [],
    }
    indicators = [i for i in Indicator.objects.filter(city=city) if i.incident_categories]
    if not indicators:
        return result
    result["indicators"] = len(indicators)
    tz = zoneinfo.ZoneInfo(city.timezone)
    month_codes = sorted({_month_code(m) for m in months}) if months is not None else None
    limited = month_codes is not None
    categories = sorted({c for i in indicators for c in i.incident_categories})

    # One GROUP BY (area, category, source, month) over the stored local month (Incident.month, written by
    # the importer and by Incident.save): no time-zone arithmetic per row, portable, one pass over the rows.
    incidents = Incident.objects.filter(city=city, category__in=categories, area__isnull=False)
    chains = _ancestors(city)
    columns = ["area", "category", "source", "year", "month", "n"]
    frames: list[pd.DataFrame] = []

    grouped_by_month = incidents if not limited else incidents.filter(Q(month__in=month_codes) | Q(month=""))
    rows = grouped_by_month.values_list("area_id", "category", "source", "month").annotate(n=Count("id")).order_by()
    stored = pd.DataFrame(list(rows), columns=["area", "category", "source", "code", "n"])
    blank_seen = bool((stored["code"] == "").any())
    stored = stored[stored["code"] != ""]
    stored["year"] = stored["code"].str[:4].astype(np.int64)
    stored["month"] = stored["code"].str[5:7].astype(np.int64)
    frames.append(stored[columns])

    # Rows written without a month (bulk writes that bypass save()): one GROUP BY per local month over that
    # month's range of instants, exact in the city's time zone (DST included).
    if blank_seen:
        blank = incidents.filter(month="")
        if month_codes is None:
            bounds = blank.aggregate(first=Min("occurred_at"), last=Max("occurred_at"))
            scan = _months_between(bounds["first"], bounds["last"], tz)
        else:
            scan = month_codes
        for code in scan:
            period = parse_period(code)
            start = datetime.combine(period.start, time(0), tzinfo=tz)
            end = datetime.combine(period.end + timedelta(days=1), time(0), tzinfo=tz)
            grouped = (
                blank.filter(occurred_at__gte=start, occurred_at__lt=end)
                .values_list("area_id", "category", "source")
                .annotate(n=Count("id"))
                .order_by()
            )
            frame = pd.DataFrame(list(grouped), columns=["area", "category", "source", "n"])
            frame["year"], frame["month"] = period.start.year, period.start.month
            frames.append(frame[columns])

    # Every count goes to its area and to all the area's ancestors, in one merge and one group-by.
    counts = pd.concat(frames, ignore_index=True)
    counts["community"] = np.where(counts["source"] == Incident.COMMUNITY, counts["n"], 0)
    links = [(area_id, ancestor) for area_id, chain in chains.items() for ancestor in chain]
    links += [(area_id, area_id) for area_id in set(counts["area"].tolist()) - set(chains)]
    ancestry = pd.DataFrame(links, columns=["area", "ancestor"])
    cells = (
        counts.merge(ancestry, on="area")
        .groupby(["ancestor", "category", "year", "month"], as_index=False)[["n", "community"]]
        .sum()
    )

    populations = _populations(city)
    codes = dict(Area.objects.filter(city=city).values_list("id", "code"))
    missing_population: set[str] = set()
    # (indicator, area, period) → (value, numerator, denominator, quality, period start, period end)
    fresh: dict[tuple[int, int, str], tuple[float, float, float | None, str, date, date]] = {}
    periods: dict[tuple[int, int], Any] = {}
    for indicator in indicators:
        totals = (
            cells[cells["category"].isin(set(indicator.incident_categories))]
            .groupby(["ancestor", "year", "month"], as_index=False)[["n", "community"]]
            .sum()
        )
        for area_id, year, month, n, community in zip(
            *(totals[c].tolist() for c in ("ancestor", "year", "month", "n", "community")), strict=True
        ):
            period = periods.get((year, month))
            if period is None:
                period = periods[(year, month)] = month_period(year, month)
            quality = Observation.COMMUNITY if community else Observation.OFFICIAL
            if indicator.aggregation == "rate":
                years, values = populations.get(area_id, ([], []))
                at = bisect.bisect_right(years, year) - 1
                if at < 0 or not values[at]:
                    missing_population.add(f"{codes.get(area_id, area_id)} {year}")
                    continue
                denominator = float(values[at])
                value = n / denominator * float(indicator.rate_per or 1)
            else:
                denominator, value = None, float(n)
            cell = (value, float(n), denominator, quality, period.start, period.end)
            fresh[(indicator.pk, area_id, period.code)] = cell

    existing = Observation.objects.filter(
        city=city, indicator__in=indicators, period_type="month", sex="", age_group="", disability=""
    )
    if limited:
        existing = existing.filter(period__in=month_codes)
    ours: dict[tuple[int, int, str], tuple] = {}
    for indicator_id, area_id, period_code, source, start, end, denominator in existing.values_list(
        "indicator_id", "area_id", "period", "source", "period_start", "period_end", "denominator"
    ):
        key = (indicator_id, area_id, period_code)
        if source != AGGREGATED_SOURCE:
            if fresh.pop(key, None) is not None:
                result["kept_manual"] += 1
            continue
        ours[key] = (start, end, denominator)
    for key, (start, end, denominator) in ours.items():
        if key not in fresh:
            fresh[key] = (0.0, 0.0, denominator, Observation.OFFICIAL, start, end)
            result["zeroed"] += 1

    meta = Observation._meta
    names = [
        "indicator",
        "area",
        "period",
        "sex",
        "age_group",
        "disability",
        "value",
        "numerator",
        "denominator",
        "quality",
        "period_start",
        "period_end",
        "city",
        "period_type",
        "source",
    ]
    columns = [meta.get_field(name).column for name in names]
    target = merger(meta.db_table, columns, key=columns[:6], compare=columns[6:])
    rows = [
        (
            indicator_id,
            area_id,
            period_code,
            "",
            "",
            "",
            value,
            numerator,
            denominator,
            quality,
            start.isoformat(),
            end.isoformat(),
            city.pk,
            "month",
            AGGREGATED_SOURCE,
        )
        for (indicator_id, area_id, period_code), (value, numerator, denominator, quality, start, end) in fresh.items()
    ]
    for begin in range(0, len(rows), 50_000):
        target.add(rows[begin : begin + 50_000])
    counts = target.merge()
    result["created"], result["updated"] = counts.created, counts.updated
    result["unchanged"] = len(rows) - counts.created - counts.updated
    result["without_population"] = sorted(missing_population)
    return result
