"""Printable PDF reports: the city safety profile and the area profile, rendered with WeasyPrint.

A report is one more public channel, so it is assembled from the same protected numbers as the pages
(``queries``, ``layers``, ``presenters`` and the city page's own helpers in ``views``): a count the
page withholds is withheld here too. It is drawn from an HTML template with a print stylesheet that
the installation serves itself; WeasyPrint gets a URL fetcher that only reads the installation's own
static files from disk and refuses every other URL, so rendering never touches the network (offline
installations, and no server-side request forgery through a crafted name or link).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import get_language

from safercities.indicators.models import Indicator, Observation
from safercities.places.models import Area, City
from safercities.portal import layers, presenters, queries, views
from safercities.portal.queries import NO_DATA, Value

PDF = "application/pdf"


# --- contexts ------------------------------------------------------------------------------------


def _no_link(_area: Any) -> str:
    return ""


def generated_on(city: City) -> str:
    """Today's date in the city's time zone, written the reader's way (``23 de noviembre de 2026``)."""
    try:
        zone = ZoneInfo(city.timezone)
    except Exception:  # an unknown zone name must not break a report
        zone = ZoneInfo("UTC")
    return date_format(timezone.now().astimezone(zone), "DATE_FORMAT")


def _sources(city: City, indicators: Sequence[Indicator]) -> list[str]:
    """Who the numbers come from: the indicators' sources and the datasets their values came in."""
    named = {indicator.source for indicator in indicators if indicator.source}
    named |= set(
        Observation.objects.filter(indicator__in=[i.pk for i in indicators])
        .exclude(source="")
        .order_by()
        .values_list("source", flat=True)
        .distinct()
    )
    return sorted(named)


def city_context(request: HttpRequest, city: City) -> dict[str, Any]:
    """What the city safety profile shows; every number from the city page's own protected paths."""
    layer = layers.resolve(city, {"period": request.GET.get("period"), "level": request.GET.get("level")})
    index_map = presenters.choropleth(layer.areas, layer.values, href=_no_link, higher_is_worse=True)
    indicators = list(queries.public_indicators(city))
    figures = queries.city_figures(city, indicators, layer.level)
    key_indicators = views._key_indicators(indicators, figures, city)
    for row in key_indicators:
        row["chart"] = presenters.chart(row["points"], width=220, height=80)
    dimension_rows = []
    ranked = [r for r in layer.results if r.score is not None]
    for dimension in queries.dimensions():
        values = queries.index_layer_values(layer.results, dimension.code)
        known = [(r, values[r.area_id].value) for r in ranked if values.get(r.area_id, NO_DATA).known]
        worst = max(known, key=lambda item: (item[1], item[0].area.code), default=None)
        dimension_rows.append(
            {
                "dimension": dimension,
                "mean": sum(v for _r, v in known) / len(known) if known else None,
                "worst": worst,
                "map": presenters.choropleth(layer.areas, values, href=_no_link, tolerance=2.0),
            }
        )
    return {
        "city": city,
        "layer": layer,
        "map": index_map,
        "map_caption": views._caption(layer),
        "ranking": layer.results,
        "ranked": sum(1 for r in layer.results if r.rank is not None),
        "least_secure": views._least_secure(layer.results),
        "dimension_rows": dimension_rows,
        "key_indicators": key_indicators,
        "alerts": queries.public_alerts(city, limit=25),
        "hotspot": views._hotspot_context(request.GET, city),
        "indicators": sorted(indicators, key=lambda i: (i.dimension.order, i.translated("name"))),
        "sources": _sources(city, indicators),
        "generated": generated_on(city),
        "thresholds": _thresholds(),
    }


def _thresholds() -> dict[str, int]:
    from safercities.analytics import disclosure

    return {
        "k": disclosure.DEFAULT_THRESHOLD,
        "k_sensitive": disclosure.SENSITIVE_THRESHOLD,
        "resolution": disclosure.DEFAULT_RESOLUTION,
        "resolution_sensitive": disclosure.SENSITIVE_RESOLUTION,
    }


def area_context(request: HttpRequest, city: City, area: Area) -> dict[str, Any]:
    """What the area profile shows, assembled as the area page assembles it (same queries, same rules)."""
    indicators = list(queries.public_indicators(city))
    sensitive = queries.sensitive_categories(city)
    definition = queries.default_definition(city)
    years = queries.index_years(city, definition)
    year = layers._year(request.GET.get("period"), years)
    result, peers = None, 0
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
            protected = queries.as_on_the_map(indicator, protected, peers_areas, area, k)
        points = [(str(y), protected[y]) for y in ordered]
        last = ordered[-1]
        city_raw = (figures.get(indicator.pk) or {}).get(last)
        city_value = (
            queries.protect(indicator, {0: city_raw[:2]}, k, decimals=protected[last].decimals)[0]
            if city_raw
            else NO_DATA
        )
        row = views._trend_row(
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
    locator = None
    if area.geometry and len(peers_areas) > 1:
        scores: dict[int, Value] = {}
        if definition is not None and year is not None:
            scores = queries.index_layer_values(queries.index_results(definition, year, area.level), queries.INDEX)
        locator = presenters.choropleth(peers_areas, scores, href=_no_link)
    return {
        "city": city,
        "area": area,
        "year": year,
        "result": result,
        "peers": peers,
        "dimension_rows": dimension_rows,
        "children": area.children.order_by("code"),
        "hotspots": queries.area_hotspots(area),
        "alerts": queries.public_alerts(city, area=area, limit=25),
        "locator": locator,
        "sources": _sources(city, indicators),
        "generated": generated_on(city),
        "thresholds": _thresholds(),
    }


# --- rendering -----------------------------------------------------------------------------------


def static_file(name: str) -> Path | None:
    """The installation's own copy of a static file (collected, else from the apps), or None."""
    if not name or ".." in Path(name).parts or name.startswith("/"):
        return None
    try:
        if staticfiles_storage.exists(name):
            return Path(staticfiles_storage.path(name))
    except (NotImplementedError, ValueError, OSError):
        pass
    found = finders.find(name)
    return Path(found) if found else None


def make_url_fetcher(base_url: str):
    """A WeasyPrint URL fetcher that serves this installation's static files and refuses the rest."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static_prefix = urljoin(base_url, settings.STATIC_URL)

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if not url.startswith(static_prefix):
                raise ValueError(f"refused to fetch {url!r}: reports read only the installation's static files")
            name = urlsplit(url[len(static_prefix) :]).path
            path = static_file(name)
            if path is None:
                raise ValueError(f"no static file {name!r}")
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})

    return StaticOnlyFetcher()


def render_pdf(html: str, base_url: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url, url_fetcher=make_url_fetcher(base_url)).write_pdf()


def _pdf_response(request: HttpRequest, html: str, filename: str) -> HttpResponse:
    pdf = render_pdf(html, request.build_absolute_uri("/"))
    response = HttpResponse(pdf, content_type=PDF)
    response["Content-Disposition"] = content_disposition_header(False, filename)
    return response


def city_html(request: HttpRequest, city: City) -> str:
    return render_to_string("portal/report_city.html", city_context(request, city), request=request)


def area_html(request: HttpRequest, city: City, area: Area) -> str:
    return render_to_string("portal/report_area.html", area_context(request, city, area), request=request)


def city_report(request: HttpRequest, slug: str) -> HttpResponse:
    """``/<lang>/cities/<slug>/report.pdf``: the city safety profile."""
    city = queries.visible_city(request.user, slug)
    filename = f"{city.slug}-safety-profile-{get_language()}.pdf"
    return _pdf_response(request, city_html(request, city), filename)


def area_report(request: HttpRequest, slug: str, code: str) -> HttpResponse:
    """``/<lang>/cities/<slug>/areas/<code>/report.pdf``: the area profile."""
    city = queries.visible_city(request.user, slug)
    area = get_object_or_404(Area.objects.select_related("parent"), city=city, code=code)
    filename = f"{city.slug}-{area.code}-profile-{get_language()}.pdf"
    return _pdf_response(request, area_html(request, city, area), filename)
