"""Public read operations: what the portal shows, as JSON, with the portal's disclosure rules.

Every number goes through :mod:`safercities.portal.queries` (``protect``, ``public_alerts``,
``hotspot_units``…), so the API can never publish what the pages withhold. Non-public cities are
404 unless the caller is a member; non-public indicators never appear.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from safercities.analytics.periods import parse_period
from safercities.api.errors import ApiError
from safercities.api.pagination import PageParams, page_of
from safercities.api.security import caller
from safercities.indicators.models import DIMENSION_CODES, Indicator, Observation
from safercities.monitoring.models import HotspotResult, IndexDefinition
from safercities.places.models import Area, City
from safercities.portal import cache as portal_cache
from safercities.portal import queries
from safercities.portal.maps import geometry_of

router = Router(tags=["public"])

CODE = Field(None, max_length=64)
PERIOD = Field(None, max_length=16, description="period code: 2024, 2024Q1, 2024-03, 2024W05, 2024-03-15")


def _city(request: HttpRequest, slug: str) -> City:
    user = caller(request)
    if len(slug) > 63:
        raise ApiError(404, "No such city.")
    return queries.visible_city(user, slug)


def _request_parts(request: HttpRequest) -> tuple[str, str]:
    """What a cached public answer may depend on besides the city: the host (absolute links) and the query."""
    return (request.get_host(), request.get_full_path())


def _period(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    try:
        return parse_period(raw).code
    except ValueError as exc:
        raise ApiError(
            422, f"period: {exc}", details=[{"in": "query", "field": "period", "message": str(exc)}]
        ) from None


def _round(item: Any, places: int) -> Any:
    if isinstance(item, (list, tuple)):
        if item and isinstance(item[0], (int, float)):
            return [round(float(c), places) for c in item]
        return [_round(i, places) for i in item]
    return item


def city_json(city: City) -> dict[str, Any]:
    return {
        "slug": city.slug,
        "name": city.name,
        "country": city.country,
        "languages": city.language_list,
        "timezone": city.timezone,
        "is_public": city.is_public,
        "synthetic": city.is_synthetic,
    }


@router.get("/cities", summary="Cities you may see (public ones, plus those you belong to)")
def list_cities(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    user = caller(request)
    envelope, rows = page_of(request, queries.visible_cities(user), params)
    return {
        **envelope,
        "results": [city_json(c) | {"areas": c.area_count, "indicators": c.indicator_count} for c in rows],
    }


@router.get("/cities/{city}", summary="One city")
def get_city(request: HttpRequest, city: str) -> dict[str, Any]:
    place = _city(request, city)
    return city_json(place) | {"levels": queries.map_levels(place)}


class AreaFilter(PageParams):
    level: str | None = Field(None, max_length=40)
    geometry: bool = Field(True, description="include simplified polygons (points are never included)")


@router.get("/cities/{city}/areas", summary="Areas as GeoJSON features (simplified polygons, no exact points)")
def list_areas(request: HttpRequest, city: str, params: Query[AreaFilter]) -> dict[str, Any]:
    place = _city(request, city)
    # Public data only: one shared copy per city version and query (the envelope's links name the host).
    return portal_cache.cached("api:areas", place, _request_parts(request), lambda: _areas(request, place, params))


def _areas(request: HttpRequest, place: City, params: AreaFilter) -> dict[str, Any]:
    areas = Area.objects.filter(city=place).select_related("parent").order_by("level", "code")
    if params.level:
        areas = areas.filter(level=params.level)
    envelope, rows = page_of(request, areas, params)
    features = []
    for area in rows:
        geometry = None
        if params.geometry:
            shape = geometry_of(area.geometry)
            if shape is not None:
                simple = shape.simplify(0.0005, preserve_topology=True).__geo_interface__
                geometry = {"type": simple["type"], "coordinates": _round(simple["coordinates"], 5)}
        centroid = None
        if area.centroid_lat is not None and area.centroid_lon is not None:
            # Three decimals (~100 m): a point area (a shelter, a clinic) is not pinned exactly.
            centroid = [round(area.centroid_lon, 3), round(area.centroid_lat, 3)]
        features.append(
            {
                "type": "Feature",
                "id": area.code,
                "geometry": geometry,
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "parent": area.parent.code if area.parent else None,
                    "area_km2": round(area.area_km2, 3) if area.area_km2 is not None else None,
                    "centroid": centroid,
                },
            }
        )
    return {"type": "FeatureCollection", **envelope, "features": features}


def indicator_json(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "name": indicator.translated("name"),
        "definition": indicator.translated("definition"),
        "dimension": indicator.dimension.code,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "aggregation": indicator.aggregation,
        "rate_per": indicator.rate_per,
        "official_code": indicator.official_code,
        "source": indicator.source,
        "disaggregations": indicator.disaggregations or [],
    }


class IndicatorFilter(PageParams):
    dimension: str | None = Field(None, max_length=20)


@router.get("/cities/{city}/indicators", summary="Public indicators")
def list_indicators(request: HttpRequest, city: str, params: Query[IndicatorFilter]) -> dict[str, Any]:
    place = _city(request, city)
    indicators = queries.public_indicators(place).order_by("dimension__order", "code")
    if params.dimension:
        indicators = indicators.filter(dimension__code=params.dimension)
    envelope, rows = page_of(request, indicators, params)
    return {**envelope, "results": [indicator_json(i) for i in rows]}


class ObservationFilter(PageParams):
    indicator: str | None = CODE
    area: str | None = CODE
    period: str | None = PERIOD
    level: str | None = Field(None, max_length=40)


_OBS_FIELDS = (
    "pk",
    "indicator_id",
    "indicator__code",
    "area_id",
    "area__code",
    "area__level",
    "period",
    "value",
    "numerator",
    "sex",
    "age_group",
    "disability",
    "quality",
)


def _field_of(row: dict[str, Any]) -> str:
    return next((f for f in queries.DISAGGREGATION_FIELDS if row[f]), "")


def protected_observations(city: City, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply the portal's rules to a page of rows, each judged with the rows published beside it.

    Totals: all areas of the same level, indicator and period form one table (secondary suppression
    across them, as on the map). A breakdown (by sex, age group or disability) of one area and period
    is one table, as on the area page. k is 10 for indicators of sensitive incident categories.
    """
    sensitive = queries.sensitive_categories(city)
    indicators = {i.pk: i for i in Indicator.objects.filter(pk__in={r["indicator_id"] for r in rows})}
    protected: dict[int, queries.Value] = {}
    done: set[tuple] = set()
    base = Observation.objects.filter(city=city)
    for row in rows:
        field = _field_of(row)
        key = (row["indicator_id"], row["period"], row["area__level"], field, row["area_id"] if field else None)
        if key in done:
            continue
        done.add(key)
        indicator = indicators[row["indicator_id"]]
        group = base.filter(indicator_id=row["indicator_id"], period=row["period"])
        if field:
            others = {f: "" for f in queries.DISAGGREGATION_FIELDS if f != field}
            group = group.filter(area_id=row["area_id"], **others).exclude(**{field: ""})
        else:
            group = group.filter(area__level=row["area__level"], sex="", age_group="", disability="")
        members = list(group.values_list("pk", "value", "numerator"))
        result = queries.protect(
            indicator, {pk: (v, n) for pk, v, n in members}, queries.threshold_for(indicator, sensitive)
        )
        protected.update(result)
    out = []
    for row in rows:
        value = protected.get(row["pk"], queries.NO_DATA)
        out.append(
            {
                "indicator": row["indicator__code"],
                "area": row["area__code"],
                "period": row["period"],
                "value": value.value,
                "withheld": value.withheld,
                "sex": row["sex"],
                "age_group": row["age_group"],
                "disability": row["disability"],
                "quality": row["quality"],
            }
        )
    return out


@router.get("/cities/{city}/observations", summary="Observations of public indicators, disclosure-controlled")
def list_observations(request: HttpRequest, city: str, params: Query[ObservationFilter]) -> dict[str, Any]:
    place = _city(request, city)
    rows = Observation.objects.filter(city=place, indicator__is_public=True)
    # Cross-tabulations (women aged 15–29) are not published, as on the portal.
    rows = rows.exclude(~Q(sex="") & ~Q(age_group="")).exclude(~Q(sex="") & ~Q(disability=""))
    rows = rows.exclude(~Q(age_group="") & ~Q(disability=""))
    if params.indicator:
        rows = rows.filter(indicator__code=params.indicator)
    if params.area:
        rows = rows.filter(area__code=params.area)
    if params.level:
        rows = rows.filter(area__level=params.level)
    period = _period(params.period)
    if period:
        rows = rows.filter(period=period)
    rows = rows.order_by(
        "indicator__code", "period_start", "period", "area__level", "area__code", "sex", "age_group", "disability", "pk"
    ).values(*_OBS_FIELDS)
    envelope, page = page_of(request, rows, params)
    return {**envelope, "observations": protected_observations(place, page)}


class IndexFilter(Schema):
    period: str | None = PERIOD
    level: str | None = Field(None, max_length=40)
    index: str | None = Field(None, max_length=63, description="index definition slug (default: the city's default)")


def index_json(city: City, definition: IndexDefinition, period: str, level: str) -> dict[str, Any]:
    results = (
        definition.results.filter(period=period, level=level)
        .select_related("area")
        .defer("area__geometry", "details")
        .order_by("rank", "area__code")
    )
    return {
        "city": city.slug,
        "index": definition.slug,
        "period": period,
        "level": level,
        "areas": [
            {
                "code": r.area.code,
                "name": r.area.name,
                "score": r.score,
                "rank": r.rank,
                "rank_interval": [r.rank_low, r.rank_high] if r.rank_low is not None else None,
                "dimensions": {code: (r.dimensions or {}).get(code) for code in DIMENSION_CODES},
            }
            for r in results
        ],
    }


def pick_index(city: City, params: IndexFilter, *, published_only: bool) -> tuple[IndexDefinition, str, str]:
    definitions = IndexDefinition.objects.filter(city=city)
    if published_only:
        definitions = definitions.filter(is_published=True)
    if params.index:
        definition = definitions.filter(slug=params.index).first()
    else:
        definition = definitions.order_by("-is_default", "name").first()
    if definition is None:
        raise ApiError(404, "No such index definition.")
    period = _period(params.period)
    if period is None:
        period = definition.results.order_by("-period").values_list("period", flat=True).first()
    levels = sorted(set(definition.results.filter(period=period).values_list("level", flat=True)))
    if period is None or not levels:
        raise ApiError(404, "No index results for this period.")
    if params.level:
        if params.level not in levels:
            raise ApiError(404, f"No index results at level {params.level!r}.", details=[{"levels": levels}])
        level = params.level
    else:
        preferred = [lv for lv in queries.map_levels(city) if lv in levels]
        level = preferred[-1] if preferred else levels[0]
    return definition, period, level


@router.get("/cities/{city}/index", summary="Composite index per area (INTERFACES index shape)")
def get_index(request: HttpRequest, city: str, params: Query[IndexFilter]) -> dict[str, Any]:
    place = _city(request, city)
    definition, period, level = pick_index(place, params, published_only=True)
    return portal_cache.cached(
        "api:index", place, (definition.pk, period, level), lambda: index_json(place, definition, period, level)
    )


class HotspotFilter(Schema):
    indicator: str = Field(..., max_length=64)
    period: str | None = PERIOD
    unit: str | None = Field(None, max_length=40, description="area level or h3-<resolution>")


@router.get("/cities/{city}/hotspots", summary="Hot and cold spots (INTERFACES hotspots shape)")
def get_hotspots(request: HttpRequest, city: str, params: Query[HotspotFilter]) -> dict[str, Any]:
    place = _city(request, city)
    results = HotspotResult.objects.filter(
        city=place, indicator__is_public=True, indicator__code=params.indicator
    ).select_related("indicator")
    period = _period(params.period)
    if period:
        results = results.filter(period=period)
    candidates = list(results.order_by("-period", "unit"))
    if not candidates:
        raise ApiError(404, "No hot-spot results for this indicator and period.")
    sensitive = queries.sensitive_categories(place)
    latest = candidates[0].period
    candidates = [r for r in candidates if r.period == latest]
    publishable = [r for r in candidates if queries.publishable_hotspot(r, sensitive)]
    if params.unit:
        chosen = next((r for r in candidates if r.unit == params.unit), None)
        if chosen is None:
            raise ApiError(
                404, f"No hot-spot results at unit {params.unit!r}.", details=[{"units": [r.unit for r in publishable]}]
            )
        if chosen not in publishable:
            raise ApiError(
                404,
                "This indicator counts a sensitive category: its hot spots are published on coarser units only.",
                code="withheld",
                details=[{"units": [r.unit for r in publishable]}],
            )
    else:
        areas_first = sorted(publishable, key=lambda r: (queries.h3_resolution_of(r.unit) is not None, r.unit))
        if not areas_first:
            raise ApiError(404, "Hot spots of this sensitive category are not published at any unit.", code="withheld")
        chosen = areas_first[0]
    k = queries.threshold_for(chosen.indicator, sensitive)
    raw = {u.get("code"): u for u in chosen.units or [] if u.get("code")}
    units = []
    for unit in queries.hotspot_units(chosen, k):
        source = raw.get(unit["code"], {})
        units.append(
            {
                "code": unit["code"],
                "value": unit["value"].value,
                "withheld": unit["value"].withheld,
                "gi_z": source.get("gi_z"),
                "gi_p": source.get("gi_p"),
                "hotspot": source.get("hotspot") or None,
                "lisa": source.get("lisa") or None,
            }
        )
    return {
        "indicator": chosen.indicator.code,
        "period": chosen.period,
        "unit": chosen.unit,
        "weights": chosen.weights,
        "moran": chosen.moran,
        "units": units,
    }


class PublicAlertFilter(PageParams):
    indicator: str | None = CODE
    area: str | None = CODE


@router.get("/cities/{city}/alerts", summary="Open alerts on public indicators (no explanation text, counts protected)")
def list_public_alerts(request: HttpRequest, city: str, params: Query[PublicAlertFilter]) -> dict[str, Any]:
    place = _city(request, city)
    return portal_cache.cached(
        "api:alerts", place, _request_parts(request), lambda: _public_alerts(request, place, params)
    )


def _public_alerts(request: HttpRequest, place: City, params: PublicAlertFilter) -> dict[str, Any]:
    area = None
    if params.area:
        area = Area.objects.filter(city=place, code=params.area).first()
        if area is None:
            raise ApiError(404, "No such area.")
    items = queries.public_alerts(place, area=area, limit=10_000)
    if params.indicator:
        items = [i for i in items if i["alert"].indicator.code == params.indicator]
    envelope, page = page_of(request, items, params)
    alerts = []
    for item in page:
        alert = item["alert"]
        alerts.append(
            {
                "id": alert.pk,
                "indicator": alert.indicator.code,
                "area": alert.area.code,
                "period": alert.period,
                "kind": alert.kind,
                "severity": alert.severity,
                "observed": item["observed"].value,
                "observed_withheld": item["observed"].withheld,
                "expected": item["expected"].value,
                "expected_withheld": item["expected"].withheld,
                "status": alert.status,
            }
        )
    return {**envelope, "alerts": alerts}
