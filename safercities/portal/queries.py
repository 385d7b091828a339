"""What the public portal reads, and the disclosure rules applied before anything is shown.

Every number that leaves this module is a :class:`Value`: either a figure fit to publish or a
withheld marker (``<k``). The rules (docs/portal.md, docs/methodology.md "Disclosure control"):

- a count (``sum`` indicators, incident counts) with ``0 < c < k`` is withheld, with secondary
  suppression across the areas shown together (``analytics.disclosure.suppress_counts``);
- a rate or share whose numerator is a small count (``0 < numerator < k``) is withheld too, because
  the rate reveals the count once the denominator is known;
- ``k`` is 5, or 10 for indicators that count a sensitive incident category;
- non-public indicators and cities are never read here for anonymous visitors (the views 404).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Avg, Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404

from safercities.accounts.permissions import is_network_admin, role_in
from safercities.analytics import disclosure
from safercities.incidents.models import IncidentCategory
from safercities.indicators.models import DIMENSION_CODES, Dimension, Indicator, Observation
from safercities.monitoring.models import Alert, HotspotResult, IndexDefinition, IndexResult
from safercities.places.models import Area, City
from safercities.portal import cache

INDEX = "index"
DISAGGREGATION_FIELDS = ("sex", "age_group", "disability")


@dataclass(frozen=True)
class Value:
    """A number fit to publish, or the fact that it was withheld (``value`` is then None)."""

    value: float | None
    withheld: bool = False
    threshold: int = disclosure.DEFAULT_THRESHOLD
    decimals: int = 1

    @property
    def known(self) -> bool:
        return self.value is not None


NO_DATA = Value(None)


def decimals_for(indicator: Indicator | None, values: Iterable[float | None] = ()) -> int:
    """Counts are whole; otherwise enough decimals to tell typical values apart."""
    if indicator is not None and indicator.aggregation == "sum":
        return 0
    known = [abs(v) for v in values if v is not None]
    typical = statistics.median(known) if known else 10
    return 0 if typical >= 100 else 1 if typical >= 1 else 2


# --- who may see what ---------------------------------------------------------------------------


def may_see_city(user: Any, city: City) -> bool:
    """Public cities for everybody; a non-public city only for its members (and network admins)."""
    return city.is_public or role_in(user, city) is not None


def visible_city(user: Any, slug: str) -> City:
    city = cache.with_token(City.objects.filter(slug=slug).defer("boundary")).first()
    if city is None or not may_see_city(user, city):
        raise Http404("no such city")
    return city


def visible_cities(user: Any) -> QuerySet[City]:
    cities = City.objects.all()
    if not is_network_admin(user):
        member_of = Q(memberships__user=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
        cities = cities.filter(Q(is_public=True) | member_of).distinct()
    # Counted in subqueries: joining areas and indicators at once multiplies the rows (areas × indicators).
    areas = Area.objects.filter(city=OuterRef("pk")).order_by().values("city").annotate(n=Count("id")).values("n")
    indicators = (
        Indicator.objects.filter(city=OuterRef("pk"), is_public=True)
        .order_by()
        .values("city")
        .annotate(n=Count("id"))
        .values("n")
    )
    return cache.with_token(
        cities.annotate(area_count=Coalesce(Subquery(areas), 0), indicator_count=Coalesce(Subquery(indicators), 0))
    ).order_by("name")


def public_indicators(city: City) -> QuerySet[Indicator]:
    return Indicator.objects.filter(city=city, is_public=True).select_related("dimension")


def public_indicator(city: City, code: str) -> Indicator:
    indicator = public_indicators(city).filter(code=code).first()
    if indicator is None:
        raise Http404("no such public indicator")
    return indicator


def dimensions() -> list[Dimension]:
    known = {d.code: d for d in Dimension.objects.all()}
    return [known[code] for code in DIMENSION_CODES if code in known]


def sensitive_categories(city: City) -> set[str]:
    return set(IncidentCategory.objects.filter(city=city, sensitive=True).values_list("code", flat=True))


def threshold_for(indicator: Indicator, sensitive: set[str]) -> int:
    """k for an indicator: higher when it counts a sensitive incident category."""
    if set(indicator.incident_categories or []) & sensitive:
        return disclosure.SENSITIVE_THRESHOLD
    return disclosure.DEFAULT_THRESHOLD


def is_sensitive(indicator: Indicator, sensitive: set[str]) -> bool:
    return bool(set(indicator.incident_categories or []) & sensitive)


# --- places, periods and the index --------------------------------------------------------------


def map_levels(city: City) -> list[str]:
    """Levels with polygons, coarsest (fewest areas) first."""
    rows = Area.objects.filter(city=city).polygons().values("level").annotate(n=Count("id")).order_by("n", "level")
    return [row["level"] for row in rows if row["n"] > 1] or [row["level"] for row in rows]


def default_definition(city: City) -> IndexDefinition | None:
    return IndexDefinition.objects.filter(city=city, is_published=True).order_by("-is_default", "name").first()


def index_years(city: City, definition: IndexDefinition | None) -> list[int]:
    years: set[int] = set()
    if definition is not None:
        years |= {int(p) for p in definition.results.values_list("period", flat=True).distinct() if p.isdigit()}
    if not years:
        years = set(Observation.objects.filter(city=city).values_list("period_start__year", flat=True).distinct())
    return sorted(years, reverse=True)


def index_results(
    definition: IndexDefinition | None, year: int, level: str, areas: Sequence[Area] | None = None
) -> list[IndexResult]:
    """Results of a year and level, best rank first, without their ``details`` (never shown).

    ``areas``: the level's areas when the caller has them already; they are attached to the results
    instead of being read (and their geometry decoded) a second time.
    """
    if definition is None:
        return []
    rows = definition.results.filter(period=f"{year:04d}", level=level).defer("details").order_by("rank", "area__code")
    if areas is None:
        return list(rows.select_related("area").defer("area__geometry"))
    results = list(rows)
    by_id = {area.pk: area for area in areas}
    missing = {r.area_id for r in results} - set(by_id)
    if missing:
        by_id.update(Area.objects.in_bulk(list(missing)))
    for result in results:
        result.area = by_id[result.area_id]
    return results


def index_layer_values(results: Sequence[IndexResult], layer: str) -> dict[int, Value]:
    """Index score (or one dimension's score) per area id; scores are not counts, nothing to suppress."""
    values: dict[int, Value] = {}
    for result in results:
        raw = result.score if layer == INDEX else (result.dimensions or {}).get(layer)
        values[result.area_id] = Value(raw if raw is not None else None, decimals=1)
    return values


# --- observations, aggregated to a year and protected ------------------------------------------


Key = Any


def _yearly(
    rows: Iterable[tuple[Key, int, str, float, float | None]], aggregation: str
) -> dict[tuple[Key, int], tuple]:
    """(key, year) → (value, numerator): an annual figure wins; else months/quarters summed or averaged.

    The same rule as the index (monitoring/index_results.py), so a map and the index agree.
    """
    annual: dict[tuple[Key, int], tuple] = {}
    parts: dict[tuple[Key, int], list[tuple[float, float | None]]] = defaultdict(list)
    for key, year, period_type, value, numerator in rows:
        if period_type == "year":
            annual[(key, year)] = (value, numerator)
        else:
            parts[(key, year)].append((value, numerator))
    out = dict(annual)
    for group, items in parts.items():
        if group in out:
            continue
        values = [v for v, _n in items]
        numerators = [n for _v, n in items if n is not None]
        total = sum(values) if aggregation == "sum" else sum(values) / len(values)
        out[group] = (total, sum(numerators) if numerators else None)
    return out


def protect(
    indicator: Indicator, raw: dict[Key, tuple[float | None, float | None]], k: int, *, decimals: int | None = None
) -> dict[Key, Value]:
    """Apply the disclosure rules to values published together (one map, one table)."""
    keys = list(raw)
    if decimals is None:
        decimals = decimals_for(indicator, [raw[key][0] for key in keys])
    out: dict[Key, Value] = {}
    if indicator.aggregation == "sum":
        countable = [key for key in keys if raw[key][0] is not None and raw[key][0] >= 0]
        shown = disclosure.suppress_counts([raw[key][0] for key in countable], k) if countable else []
        for key, published in zip(countable, shown, strict=True):
            out[key] = Value(published, withheld=published is None, threshold=k, decimals=decimals)
        for key in keys:
            out.setdefault(key, Value(None, withheld=raw[key][0] is not None, threshold=k, decimals=decimals))
        return out
    for key in keys:
        value, numerator = raw[key]
        small = numerator is not None and 0 < numerator < k
        out[key] = Value(None if small else value, withheld=small, threshold=k, decimals=decimals)
    return out


def _totals(queryset: QuerySet[Observation]) -> QuerySet[Observation]:
    return queryset.filter(sex="", age_group="", disability="")


def _in_year(queryset: QuerySet[Observation], year: int) -> QuerySet[Observation]:
    return queryset.filter(period_start__gte=date(year, 1, 1), period_end__lte=date(year, 12, 31))


def indicator_layer_values(indicator: Indicator, year: int, areas: Sequence[Area], k: int) -> dict[int, Value]:
    """One indicator's protected value per area for a year."""
    rows = _in_year(_totals(Observation.objects.filter(indicator=indicator, area__in=[a.pk for a in areas])), year)
    yearly = _yearly(
        rows.values_list("area_id", "period_start__year", "period_type", "value", "numerator"), indicator.aggregation
    )
    return protect(indicator, {area_id: pair for (area_id, _y), pair in yearly.items()}, k)


def indicator_years(indicator: Indicator) -> list[int]:
    return sorted(set(indicator.observations.values_list("period_start__year", flat=True).distinct()), reverse=True)


def city_area(city: City) -> Area | None:
    """The area that stands for the whole city (level "city" or the root without a parent)."""
    return (
        Area.objects.filter(city=city, level="city").first()
        or Area.objects.filter(city=city, parent__isnull=True).annotate(n=Count("children")).filter(n__gt=0).first()
    )


def series(indicator: Indicator, area_ids: Sequence[int]) -> dict[tuple[int, int], tuple]:
    """(area id, year) → (value, numerator) for the totals of the given areas, every year."""
    rows = _totals(Observation.objects.filter(indicator=indicator, area__in=list(area_ids)))
    return _yearly(
        rows.values_list("area_id", "period_start__year", "period_type", "value", "numerator"), indicator.aggregation
    )


def disaggregations(
    indicators: Sequence[Indicator], area_ids: Sequence[int], year: int, thresholds: dict[int, int]
) -> dict[int, list[dict[str, Any]]]:
    """Per indicator id: values by sex, age group and disability for a year, pooled over ``area_ids``.

    Pooling over several areas: counts add up; shares and rates are averaged over the areas
    (unweighted), as the page says. Cross-tabulations (women aged 15–29) are not shown publicly.
    Each breakdown (e.g. by sex) is protected as one table published with its total.
    """
    by_id = {indicator.pk: indicator for indicator in indicators}
    rows = (
        _in_year(Observation.objects.filter(indicator__in=list(by_id), area__in=list(area_ids)), year)
        .exclude(sex="", age_group="", disability="")
        .values_list("indicator_id", "area_id", "sex", "age_group", "disability", "period_type", "value", "numerator")
    )
    cells: dict[tuple[int, str, str, int], list[tuple]] = defaultdict(list)
    for indicator_id, area_id, sex, age, disability, period_type, value, numerator in rows:
        filled = [(f, v) for f, v in zip(DISAGGREGATION_FIELDS, (sex, age, disability), strict=True) if v]
        if len(filled) == 1:
            cells[(indicator_id, filled[0][0], filled[0][1], area_id)].append((period_type, value, numerator))
    pooled: dict[tuple[int, str], dict[str, list[tuple]]] = defaultdict(lambda: defaultdict(list))
    for (indicator_id, field, category, area_id), items in cells.items():
        yearly = _yearly(((area_id, year, *item) for item in items), by_id[indicator_id].aggregation)
        pooled[(indicator_id, field)][category].append(yearly[(area_id, year)])
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for indicator_id in by_id:
        indicator = by_id[indicator_id]
        for field in DISAGGREGATION_FIELDS:
            categories = pooled.get((indicator_id, field))
            if not categories:
                continue
            raw = {}
            for category, items in categories.items():
                values = [v for v, _n in items]
                numerators = [n for _v, n in items if n is not None]
                total = sum(values) if indicator.aggregation == "sum" else sum(values) / len(values)
                raw[category] = (total, sum(numerators) if numerators else None)
            protected = protect(indicator, raw, thresholds.get(indicator_id, disclosure.DEFAULT_THRESHOLD))
            out[indicator_id].append({"field": field, "rows": [(c, protected[c]) for c in sorted(protected)]})
    return out


def area_series(area_ids: Sequence[int], indicators: Sequence[Indicator]) -> dict[int, dict[int, tuple]]:
    """Indicator id → year → (value, numerator), totals of one area (or the first of several)."""
    by_id = {indicator.pk: indicator for indicator in indicators}
    rows = _totals(Observation.objects.filter(indicator__in=list(by_id), area__in=list(area_ids))).values_list(
        "indicator_id", "period_start__year", "period_type", "value", "numerator"
    )
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    out: dict[int, dict[int, tuple]] = {}
    for indicator_id, items in grouped.items():
        yearly = _yearly(items, by_id[indicator_id].aggregation)
        out[indicator_id] = {year: pair for (_key, year), pair in yearly.items()}
    return out


def city_figures(city: City, indicators: Sequence[Indicator], level: str | None) -> dict[int, dict[int, tuple]]:
    """Indicator id → year → (value, numerator, how) for the whole city.

    The city area's own figure when there is one (``how`` = "city"); otherwise counts summed and
    other values averaged over the areas of ``level`` (``how`` = "areas"), computed in the database.
    Kept in the portal cache until the city's results change (every area page needs them).
    """
    ids = sorted(indicator.pk for indicator in indicators)
    return cache.cached("figures", city, (level, *ids), lambda: _city_figures(city, indicators, level))


def _city_figures(city: City, indicators: Sequence[Indicator], level: str | None) -> dict[int, dict[int, tuple]]:
    whole = city_area(city)
    out: dict[int, dict[int, tuple]] = defaultdict(dict)
    if whole is not None:
        for indicator_id, years in area_series([whole.pk], indicators).items():
            for year, (value, numerator) in years.items():
                out[indicator_id][year] = (value, numerator, "city")
    missing = [indicator for indicator in indicators if indicator.pk not in out]
    if level and missing:
        by_id = {indicator.pk: indicator for indicator in missing}
        rows = (
            _totals(Observation.objects.filter(city=city, indicator__in=list(by_id), area__level=level))
            .values("indicator_id", "period_start__year", "period_type")
            .annotate(total=Sum("value"), mean=Avg("value"), num=Sum("numerator"), n=Count("id"))
        )
        collected: dict[tuple[int, int], dict[str, Any]] = {}
        for row in rows:
            key = (row["indicator_id"], row["period_start__year"])
            if key in collected and collected[key]["period_type"] == "year":
                continue
            if row["period_type"] == "year" or key not in collected:
                collected[key] = row
        for (indicator_id, year), row in collected.items():
            value = row["total"] if by_id[indicator_id].aggregation == "sum" else row["mean"]
            out[indicator_id][year] = (value, row["num"], "areas")
    return dict(out)


# --- alerts and hot spots -----------------------------------------------------------------------


def public_alerts(city: City, *, area: Area | None = None, limit: int | None = 10) -> list[dict[str, Any]]:
    """Open alerts on public indicators; observed/expected counts protected like every count.

    Kept in the portal cache until the city's results change (the API lists them all on every call).
    """
    parts = (area.pk if area is not None else None, limit)
    return cache.cached("alerts", city, parts, lambda: _public_alerts(city, area, limit))


def _public_alerts(city: City, area: Area | None, limit: int | None) -> list[dict[str, Any]]:
    alerts = (
        Alert.objects.filter(city=city, indicator__is_public=True)
        .exclude(status=Alert.RESOLVED)
        .select_related("indicator", "area")
        .defer("details", "area__geometry")  # never shown; decoding every area's polygon was most of the cost
        .order_by("-period", "-severity", "area__code")
    )
    if area is not None:
        alerts = alerts.filter(area=area)
    sensitive = sensitive_categories(city)
    out = []
    for alert in alerts[:limit]:
        alert.city = city  # the pages link to it; saves a query per alert
        k = threshold_for(alert.indicator, sensitive)
        counts = alert.kind == Alert.EXCEEDANCE or alert.indicator.aggregation == "sum"
        observed = _protect_single(alert.observed, k, counts)
        expected = _protect_single(alert.expected, k, counts) if alert.expected is not None else NO_DATA
        out.append({"alert": alert, "observed": observed, "expected": expected})
    return out


def _protect_single(value: float | None, k: int, is_count: bool) -> Value:
    if value is None:
        return NO_DATA
    if is_count and 0 < value < k:
        return Value(None, withheld=True, threshold=k, decimals=0)
    return Value(value, threshold=k, decimals=0 if is_count else 1)


def hotspot_results(city: City) -> list[HotspotResult]:
    """Latest stored hot-spot result per public indicator and unit."""
    rows = (
        HotspotResult.objects.filter(city=city, indicator__is_public=True)
        .select_related("indicator", "indicator__dimension")
        .order_by("indicator__code", "unit", "-period")
    )
    seen, out = set(), []
    for row in rows:
        if (row.indicator_id, row.unit) not in seen:
            seen.add((row.indicator_id, row.unit))
            out.append(row)
    return out


def h3_resolution_of(unit: str) -> int | None:
    if unit.startswith("h3-") and unit[3:].isdigit():
        return int(unit[3:])
    return None


def publishable_hotspot(result: HotspotResult, sensitive: set[str]) -> bool:
    """Sensitive categories are shown on h3 cells no finer than the sensitive resolution (7)."""
    resolution = h3_resolution_of(result.unit)
    if resolution is None or not is_sensitive(result.indicator, sensitive):
        return True
    return resolution <= disclosure.SENSITIVE_RESOLUTION


def hotspot_units(result: HotspotResult, k: int) -> list[dict[str, Any]]:
    """Units with the hot/cold label and the protected value (cells hold incident counts)."""
    units = [u for u in result.units or [] if u.get("code")]
    counts = result.indicator.aggregation == "sum" or h3_resolution_of(result.unit) is not None
    raw = {u["code"]: (u.get("value"), None) for u in units}
    if counts:
        fake = Indicator(aggregation="sum")
        protected = protect(fake, raw, k)
    else:
        protected = protect(result.indicator, raw, k)
    return [
        {
            "code": u["code"],
            "value": protected[u["code"]],
            "hotspot": u.get("hotspot") or "",
            "lisa": u.get("lisa") or "",
            "z": u.get("gi_z"),
        }
        for u in units
    ]


def area_hotspots(area: Area) -> list[dict[str, Any]]:
    """Where this area is a hot or cold spot (area-level results only)."""
    out = []
    for result in hotspot_results(area.city):
        if result.unit != area.level:
            continue
        for unit in result.units or []:
            if unit.get("code") == area.code and (unit.get("hotspot") or unit.get("lisa") in ("HH", "LL")):
                out.append({"result": result, "hotspot": unit.get("hotspot") or "", "lisa": unit.get("lisa") or ""})
    return out


def as_on_the_map(
    indicator: Indicator, protected: dict[int, Value], peers: Sequence[Area], area: Area, k: int
) -> dict[int, Value]:
    """Also withhold a count the map withholds (secondary suppression across the areas of a level).

    The area page protects an area's series on its own, so a count the map hides to protect a
    neighbour's small count can show there, and with the city total it gives that count away. The
    printed profile takes the stricter of the two.
    """
    out = dict(protected)
    for year, value in protected.items():
        if value.withheld or value.value is None:
            continue
        on_map = indicator_layer_values(indicator, year, peers, k).get(area.pk)
        if on_map is not None and on_map.withheld:
            out[year] = Value(None, withheld=True, threshold=k, decimals=value.decimals)
    return out
