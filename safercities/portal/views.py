"""Public pages: home, city, area profile, indicator, network, methodology, and the map's JSON.

Views stay thin: layers.py resolves what is asked, queries.py reads and protects the numbers,
presenters.py turns them into shapes and charts. Non-public cities and indicators are 404.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from safercities.indicators.models import Observation
from safercities.monitoring.models import HotspotResult
from safercities.places.models import Area, City
from safercities.portal import cache, layers, presenters, queries
from safercities.portal.queries import Value

Params = QueryDict | dict[str, str]
HOTSPOT_SLOT = "<!--portal:hotspots-->"
CITY_PARAMS = ("layer", "period", "level", "hotspot", "unit")
LAYER_INPUTS_SLOT = "<!--portal:layer-inputs-->"


def _area_href(city_slug: str):
    return lambda area: reverse("portal:area", args=[city_slug, area.code])


def _whole_page(
    request: HttpRequest,
    what: str,
    city: City | None,
    params: dict[str, str],
    respond: Callable[[], HttpResponse],
    *,
    also: Sequence[City] = (),
) -> HttpResponse:
    """Anonymous visitors get the whole page from the shared cache; everybody else ``respond()``.

    Only for a query made of the parameters the page knows, each valid (``params`` holds the valid
    ones), so keys stay bounded. A page is stored only if rendering it used no CSRF token, set no
    cookie and left the session alone: an include point that adds a form (other apps' sections) makes
    the page per-visitor again, automatically.
    """
    plain = all(len(request.GET.getlist(name)) == 1 and params.get(name) == request.GET[name] for name in request.GET)
    if not plain or request.user.is_authenticated:
        return respond()
    key = cache.key_for(f"page:{what}", city, (request.path, request.META.get("QUERY_STRING", "")), also)
    if key is None:
        return respond()
    hit = cache.get(key)
    if hit is not None:
        content, content_type = hit
        return HttpResponse(content, content_type=content_type)
    response = respond()
    session = getattr(request, "session", None)
    if (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not request.META.get("CSRF_COOKIE_USED")
        and not (session is not None and session.modified)
        and b"csrfmiddlewaretoken" not in response.content
    ):
        cache.put(key, (response.content, response["Content-Type"]))
    return response


def home(request: HttpRequest) -> HttpResponse:
    cities = list(queries.visible_cities(request.user))
    respond = lambda: render(request, "portal/home.html", {"cities": cities})  # noqa: E731
    return _whole_page(request, "home", None, {}, respond, also=cities)


def _menu(city: City) -> dict[str, frozenset[str]]:
    """The parameter values the city's pages know, so cache keys only ever hold these (bounded).

    Any other value is treated as absent, which is what the pages do with it anyway (unknown layers
    excepted: they are a 404, served uncached).
    """

    def build() -> dict[str, frozenset[str]]:
        definition = queries.default_definition(city)
        years = set(queries.index_years(city, definition))
        years |= set(Observation.objects.filter(city=city).values_list("period_start__year", flat=True).distinct())
        public = HotspotResult.objects.filter(city=city, indicator__is_public=True)
        return {
            "layer": frozenset(
                [queries.INDEX, *(d.code for d in queries.dimensions())]
                + list(queries.public_indicators(city).values_list("code", flat=True))
            ),
            "period": frozenset(f"{y:04d}" for y in years if y is not None),
            "level": frozenset(queries.map_levels(city)),
            "hotspot": frozenset(public.values_list("indicator__code", flat=True).distinct()),
            "unit": frozenset(public.values_list("unit", flat=True).distinct()),
        }

    return cache.cached("menu", city, (), build)


def _params(request: HttpRequest, city: City, names: tuple[str, ...]) -> dict[str, str] | None:
    """The query parameters ``names`` the page depends on, normalised; None for an unknown layer."""
    if not any(request.GET.get(name) for name in names):
        return {}  # the common case: no parameters, nothing to check
    menu = _menu(city)
    out = {}
    for name in names:
        raw = request.GET.get(name, "")
        if raw in menu[name]:
            out[name] = raw
        elif raw and name == "layer":
            return None
    return out


def _fragment(template: str, context: dict[str, Any]) -> str:
    """Render a part shared by every visitor: no request, so no user, session or CSRF token in it."""
    return render_to_string(template, context)


def _city_page(request: HttpRequest, city: City) -> HttpResponse:
    params = _params(request, city, ("layer", "period", "level"))
    if params is None:  # an unknown layer: resolve() answers 404
        layers.resolve(city, request.GET)
        params = {}
    hot = _params(request, city, ("hotspot", "unit")) or {}
    (top, bottom, layer_key, layer_year), section = cache.cached_many(
        [
            ("city", city, sorted(params.items()), lambda: _city_body(city, params)),
            ("hotspots", city, sorted(hot.items()), lambda: _hotspot_section(city, hot)),
        ]
    )
    inputs = format_html('<input type="hidden" name="layer" value="{}">', layer_key)
    if layer_year:
        inputs += format_html('<input type="hidden" name="period" value="{}">', f"{layer_year:d}")
    context = {
        "city": city,
        "top": mark_safe(top),  # our own rendered templates, from our cache
        "hotspots": mark_safe(section.replace(LAYER_INPUTS_SLOT, inputs)),
        "bottom": mark_safe(bottom),
    }
    return render(request, "portal/city.html", context)


def city(request: HttpRequest, slug: str) -> HttpResponse:
    city = queries.visible_city(request.user, slug)
    params = _params(request, city, CITY_PARAMS)
    respond = lambda: _city_page(request, city)  # noqa: E731
    return _whole_page(request, "city", city, params or {}, respond)


def _city_body(city: City, params: Params) -> tuple[str, str, str, int | None]:
    """The city page without its hot-spot section: (before it, after it, the layer key, its year)."""
    layer = layers.resolve(city, params)
    area_map = presenters.choropleth(
        layer.areas, layer.values, href=_area_href(city.slug), higher_is_worse=layer.higher_is_worse
    )
    indicators = list(queries.public_indicators(city))
    figures = queries.city_figures(city, indicators, layer.level)
    key_indicators = _key_indicators(indicators, figures, city)
    context = {
        "city": city,
        "layer": layer,
        "layer_choices": layers.layer_choices(city),
        "map": area_map,
        "map_caption": _caption(layer),
        "rows": [(area, layer.values.get(area.pk, queries.NO_DATA)) for area in layer.areas],
        "ranking": layer.results,
        "ranked": sum(1 for r in layer.results if r.rank is not None),
        "least_secure": _least_secure(layer.results),
        "dimensions": queries.dimensions(),
        "key_indicators": key_indicators,
        "alerts": queries.public_alerts(city),
        "hotspot_slot": mark_safe(HOTSPOT_SLOT),
        "tile_url": getattr(settings, "MAP_TILE_URL", ""),
    }
    top, bottom = _fragment("portal/_city_body.html", context).split(HOTSPOT_SLOT, 1)
    return top, bottom, layer.key, layer.year


def _hotspot_section(city: City, params: Params) -> str:
    context = {"city": city, "hotspot": _hotspot_context(params, city), "layer_inputs": mark_safe(LAYER_INPUTS_SLOT)}
    return _fragment("portal/_hotspots.html", context)


def map_json(request: HttpRequest, slug: str) -> HttpResponse:
    """The city page's map as GeoJSON (simplified polygons, protected values, classes and colours)."""
    city = queries.visible_city(request.user, slug)
    params = _params(request, city, ("layer", "period", "level"))
    if params is None:
        layers.resolve(city, request.GET)  # 404
        params = {}
    body = cache.cached("map.json", city, sorted(params.items()), lambda: _map_json_body(city, params))
    return HttpResponse(body, content_type="application/json")


def _map_json_body(city: City, params: Params) -> bytes:
    layer = layers.resolve(city, params)
    area_map = presenters.choropleth(
        layer.areas, layer.values, href=_area_href(city.slug), higher_is_worse=layer.higher_is_worse
    )
    from safercities.portal.maps import geometry_of

    fills = {shape.key: shape.fill for shape in area_map.shapes}
    features = []
    for area in layer.areas:
        geometry = geometry_of(area.geometry)
        if geometry is None:
            continue
        value = layer.values.get(area.pk, queries.NO_DATA)
        simple = geometry.simplify(0.0005, preserve_topology=True)
        features.append(
            {
                "type": "Feature",
                "geometry": _rounded(simple.__geo_interface__),
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "value": value.value,
                    "withheld": value.withheld,
                    "display": presenters.display(value),
                    "fill": fills.get(area.code),
                    "href": reverse("portal:area", args=[city.slug, area.code]),
                },
            }
        )
    legend = [{"low": c.low, "high": c.high, "fill": c.colour, "count": c.count} for c in area_map.legend]
    document = {
        "type": "FeatureCollection",
        "layer": layer.key,
        "period": layer.year,
        "level": layer.level,
        "legend": legend,
        "features": features,
    }
    return json.dumps(document, cls=DjangoJSONEncoder).encode()


def _rounded(geometry: dict[str, Any]) -> dict[str, Any]:
    def walk(item: Any) -> Any:
        if isinstance(item, (list, tuple)):
            if item and isinstance(item[0], float):
                return [round(c, 5) for c in item]
            return [walk(i) for i in item]
        return item

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}


def _caption(layer: layers.Layer) -> str:
    from safercities.portal.templatetags.portal import level_label

    if layer.indicator is not None:
        what = f"{layer.indicator.translated('name')} ({layer.indicator.translated('unit')})"
    elif layer.dimension is not None:
        what = _("%(dimension)s: dimension score (0–10)") % {"dimension": layer.dimension.translated("name")}
    else:
        what = _("Human Security Index (0–10, higher is less secure)")
    where = level_label(layer.level or "")
    return f"{what} · {where} · {layer.year}" if layer.year else what


def _least_secure(results: list) -> dict[str, Any] | None:
    ranked = [r for r in results if r.rank is not None and r.score is not None]
    if not ranked:
        return None
    top = min(ranked, key=lambda r: (r.rank, r.area.code))
    drivers = sorted(
        ((code, score) for code, score in (top.dimensions or {}).items() if score is not None),
        key=lambda item: -item[1],
    )[:2]
    names = {d.code: d.translated("name") for d in queries.dimensions()}
    return {"result": top, "drivers": [(names.get(code, code), score) for code, score in drivers], "n": len(ranked)}


def _key_indicators(indicators: list, figures: dict, city) -> list[dict[str, Any]]:
    """Indicators with an official (SDG) code and data: latest city figure, trend, sparkline."""
    sensitive = queries.sensitive_categories(city)
    out = []
    for indicator in indicators:
        years = figures.get(indicator.pk) or {}
        if not indicator.official_code or not years:
            continue
        k = queries.threshold_for(indicator, sensitive)
        ordered = sorted(years)
        protected = queries.protect(indicator, {y: years[y][:2] for y in ordered}, k)
        points = [(str(y), protected[y]) for y in ordered]
        out.append(_trend_row(indicator, points, how=years[ordered[-1]][2]))
    return out[:12]


def _trend_row(indicator, points: list[tuple[str, Value]], **extra: Any) -> dict[str, Any]:
    from safercities.portal.charts import trend

    values = [v.value for _label, v in points]
    return {
        "indicator": indicator,
        "latest": points[-1] if points else None,
        "points": points,
        "trend": trend(values, higher_is_worse=indicator.higher_is_worse),
        "spark": presenters.chart(points, width=96, height=28, dots=False),
        **extra,
    }


def _hotspot_context(params: Params, city: City) -> dict[str, Any] | None:
    results = queries.hotspot_results(city)
    if not results:
        return None
    sensitive = queries.sensitive_categories(city)
    choices = sorted({(r.indicator.code, r.indicator.translated("name")) for r in results}, key=lambda c: c[1])
    wanted = params.get("hotspot")
    codes = [code for code, _name in choices]
    code = wanted if wanted in codes else ("violent-crime-rate" if "violent-crime-rate" in codes else codes[0])
    unit_wanted = params.get("unit", "")
    candidates = [r for r in results if r.indicator.code == code]
    result = next((r for r in candidates if r.unit == unit_wanted), candidates[0])
    withheld_note = ""
    if not queries.publishable_hotspot(result, sensitive):
        withheld_note = _("Cells of this sensitive category are finer than may be published; see the areas.")
        area_results = [r for r in candidates if queries.h3_resolution_of(r.unit) is None]
        if not area_results:
            return {"choices": choices, "code": code, "note": withheld_note, "map": None, "units": []}
        result = area_results[0]
    k = queries.threshold_for(result.indicator, sensitive)
    units = queries.hotspot_units(result, k)
    is_cells = queries.h3_resolution_of(result.unit) is not None
    base_level = None
    if is_cells:
        levels = queries.map_levels(city)
        base_level = levels[-1] if levels else None
    areas = {a.code: a for a in Area.objects.filter(city=city, level=base_level if is_cells else result.unit)}
    hot_map = presenters.hotspot_map(units, areas, href=_area_href(city.slug))
    names = {code: area.name for code, area in areas.items()}
    significant = [dict(u, name=names.get(u["code"], "")) for u in units if u["hotspot"]]
    return {
        "choices": choices,
        "code": code,
        "result": result,
        "units_available": [(r.unit, r.unit) for r in candidates],
        "map": hot_map,
        "significant": sorted(significant, key=lambda u: (u["hotspot"] != "hot", -(u["z"] or 0))),
        "is_cells": is_cells,
        "note": withheld_note,
    }


def area(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    city = queries.visible_city(request.user, slug)
    params = _params(request, city, ("period",)) or {}
    # A cached page means the area existed under the current version (deleting one invalidates).
    respond = lambda: _area_page(request, city, code, params)  # noqa: E731
    return _whole_page(request, "area", city, params, respond)


def _area_page(request: HttpRequest, city: City, code: str, params: dict[str, str]) -> HttpResponse:
    area = get_object_or_404(Area.objects.defer("geometry").select_related("parent"), city=city, code=code)
    parts = (area.pk, *sorted(params.items()))
    body = cache.cached("area", city, parts, lambda: _area_body(city, area, params))
    context = {
        "city": city,
        "area": area,
        "body": mark_safe(body),  # our own rendered template, from our cache
        # Include point: other apps (resident reports, actions) add sections about this area here; they
        # are rendered for each request (they may hold a form and its CSRF token) with city and area.
        "area_sections": getattr(settings, "PORTAL_AREA_SECTIONS", []),
    }
    return render(request, "portal/area.html", context)


def _area_body(city: City, area: Area, params: Params) -> str:
    indicators = list(queries.public_indicators(city))
    sensitive = queries.sensitive_categories(city)
    definition = queries.default_definition(city)
    years = queries.index_years(city, definition)
    year = layers._year(params.get("period"), years)
    result = None
    peers = 0
    if definition is not None and year is not None:
        result = definition.results.filter(area=area, period=f"{year:04d}").first()
        peers = definition.results.filter(period=f"{year:04d}", level=area.level, rank__isnull=False).count()
    series = queries.area_series([area.pk], indicators)
    figures = queries.city_figures(city, indicators, area.level)
    latest_year = max((y for s in series.values() for y in s), default=None)
    thresholds = {i.pk: queries.threshold_for(i, sensitive) for i in indicators}
    disaggregated = queries.disaggregations(indicators, [area.pk], latest_year, thresholds) if latest_year else {}
    peers_areas = list(Area.objects.filter(city=city, level=area.level).order_by("code"))
    by_dimension: dict[str, list[dict[str, Any]]] = {}
    for indicator in indicators:
        years_of = series.get(indicator.pk)
        if not years_of:
            continue
        k = thresholds[indicator.pk]
        ordered = sorted(years_of)
        protected = queries.protect(indicator, {y: years_of[y] for y in ordered}, k)
        if indicator.aggregation == "sum":
            # A count the map withholds to protect a neighbour's small count stays withheld here too.
            protected = queries.as_on_the_map(indicator, protected, peers_areas, area, k)
        points = [(str(y), protected[y]) for y in ordered]
        last = ordered[-1]
        city_raw = (figures.get(indicator.pk) or {}).get(last)
        city_value = (
            queries.protect(indicator, {0: city_raw[:2]}, k, decimals=protected[last].decimals)[0]
            if city_raw
            else queries.NO_DATA
        )
        row = _trend_row(
            indicator,
            points,
            year=last,
            city_value=city_value,
            city_how=city_raw[2] if city_raw else "",
            disaggregation=disaggregated.get(indicator.pk, []) if last == latest_year else [],
        )
        by_dimension.setdefault(indicator.dimension.code, []).append(row)
    dimension_rows = [
        {
            "dimension": d,
            "score": (result.dimensions or {}).get(d.code) if result else None,
            "indicators": by_dimension.get(d.code, []),
        }
        for d in queries.dimensions()
    ]
    context = {
        "city": city,
        "area": area,
        "year": year,
        "years": years,
        "result": result,
        "peers": peers,
        "dimension_rows": dimension_rows,
        "children": area.children.order_by("code"),
        "hotspots": queries.area_hotspots(area),
        "alerts": queries.public_alerts(city, area=area),
    }
    return _fragment("portal/_area_body.html", context)


def indicator(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    city = queries.visible_city(request.user, slug)
    params = _params(request, city, ("period", "level")) or {}

    def respond() -> HttpResponse:
        # Checked here only: a cached page means the indicator was public under the current version.
        indicator = queries.public_indicator(city, code)
        parts = (indicator.pk, *sorted(params.items()))
        body = cache.cached("indicator", city, parts, lambda: _indicator_body(city, indicator, params))
        context = {"city": city, "indicator": indicator, "body": mark_safe(body)}  # our own template
        return render(request, "portal/indicator.html", context)

    return _whole_page(request, "indicator", city, params, respond)


def _indicator_body(city: City, indicator, params: Params) -> str:
    layer = layers.resolve(city, params, indicator=indicator)
    area_map = presenters.choropleth(
        layer.areas, layer.values, href=_area_href(city.slug), higher_is_worse=indicator.higher_is_worse
    )
    k = queries.threshold_for(indicator, queries.sensitive_categories(city))
    figures = queries.city_figures(city, [indicator], layer.level).get(indicator.pk, {})
    ordered = sorted(figures)
    protected = queries.protect(indicator, {y: figures[y][:2] for y in ordered}, k)
    points = [(str(y), protected[y]) for y in ordered]
    pooled_ids = [a.pk for a in layer.areas]
    whole = queries.city_area(city)
    disaggregation: list = []
    if layer.year:
        ids = [whole.pk] if whole is not None else pooled_ids
        disaggregation = queries.disaggregations([indicator], ids, layer.year, {indicator.pk: k}).get(indicator.pk, [])
        if not disaggregation and whole is not None:
            disaggregation = queries.disaggregations([indicator], pooled_ids, layer.year, {indicator.pk: k}).get(
                indicator.pk, []
            )
    context = {
        "city": city,
        "indicator": indicator,
        "layer": layer,
        "map": area_map,
        "map_caption": _caption(layer),
        "rows": [(a, layer.values.get(a.pk, queries.NO_DATA)) for a in layer.areas],
        "points": points,
        "chart": presenters.chart(points),
        "how": figures[ordered[-1]][2] if ordered else "",
        "disaggregation": disaggregation,
        "threshold": k,
    }
    return _fragment("portal/_indicator_body.html", context)


def network(request: HttpRequest) -> HttpResponse:
    """Cities side by side on what each made public: index coverage and their public indicators."""
    cities = list(queries.visible_cities(request.user))

    def respond() -> HttpResponse:
        body = cache.cached("network", None, (), lambda: _network_body(cities), also=cities)
        return render(request, "portal/network.html", {"body": mark_safe(body)})  # our own template

    return _whole_page(request, "network", None, {}, respond, also=cities)


def _network_body(cities: list[City]) -> str:
    columns = []
    rows: dict[str, dict[str, Any]] = {}
    for city in cities:
        indicators = list(queries.public_indicators(city))
        levels = queries.map_levels(city)
        figures = queries.city_figures(city, indicators, levels[-1] if levels else None)
        sensitive = queries.sensitive_categories(city)
        definition = queries.default_definition(city)
        years = queries.index_years(city, definition) if definition else []
        columns.append({"city": city, "index_year": years[0] if years else None, "indicators": len(indicators)})
        for indicator in indicators:
            years_of = figures.get(indicator.pk)
            entry = rows.setdefault(
                indicator.code,
                {
                    "code": indicator.code,
                    "name": indicator.translated("name"),
                    "unit": indicator.translated("unit"),
                    "dimension": indicator.dimension,
                    "cells": {},
                },
            )
            if years_of:
                last = max(years_of)
                value = queries.protect(
                    indicator, {0: years_of[last][:2]}, queries.threshold_for(indicator, sensitive)
                )[0]
                entry["cells"][city.pk] = (value, last)
    table = [
        {**row, "cells": [row["cells"].get(c["city"].pk) for c in columns]}
        for row in sorted(rows.values(), key=lambda r: (r["dimension"].order, r["name"]))
        if row["cells"]
    ]
    return _fragment("portal/_network_body.html", {"columns": columns, "table": table})


def methodology(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/methodology.html",
        {
            "docs_url": getattr(settings, "PORTAL_DOCS_URL", ""),
            "dimensions": queries.dimensions(),
            "docs": [
                ("methodology.md", _("Methodology: overview, allocation and disclosure control")),
                ("methodology-index.md", _("The composite index and its uncertainty")),
                ("methodology-early-warning.md", _("Early-warning alerts")),
                ("methodology-spatial.md", _("Hot spots and spatial statistics")),
                ("portal.md", _("What the public pages show")),
            ],
        },
    )
