"""The learning centre: human security, reading the indicators, the methods, audit walks, a walkthrough.

The prose lives in per-language templates (``templates/learning/content/<lang>/<page>.html``, both
complete); the pages around them, and everything generated from data (the indicator guide, the
walkthrough's links into the demo city), are translated through the app's catalogue.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from safercities.places.models import City
from safercities.portal import queries

CONTENT_LANGUAGES = ("en", "es")
PAGES = ("human_security", "indicators", "methods", "audit_walk", "walkthrough")


def _content(page: str) -> str:
    language = (get_language() or "en").split("-")[0]
    return f"learning/content/{language if language in CONTENT_LANGUAGES else 'en'}/{page}.html"


def _page(request: HttpRequest, page: str, title: str, **context: Any) -> HttpResponse:
    return render(request, "learning/page.html", {"page": page, "title": title, "content": _content(page), **context})


def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "home", _("Learning centre"))


def human_security(request: HttpRequest) -> HttpResponse:
    return _page(request, "human_security", _("Human security in the city"), dimensions=queries.dimensions())


def indicators(request: HttpRequest) -> HttpResponse:
    """Which city's catalogue to read: every city the visitor may see."""
    return _page(
        request, "indicators", _("How to read the indicators"), cities=list(queries.visible_cities(request.user))
    )


def city_indicators(request: HttpRequest, slug: str) -> HttpResponse:
    """The guide generated from a city's public indicator catalogue, grouped by dimension."""
    city = queries.visible_city(request.user, slug)
    indicators = list(queries.public_indicators(city).order_by("dimension__order", "code"))
    groups = [(d, [i for i in indicators if i.dimension_id == d.pk]) for d in queries.dimensions()]
    return render(
        request,
        "learning/indicators_city.html",
        {"city": city, "groups": [(d, items) for d, items in groups if items], "count": len(indicators)},
    )


def methods(request: HttpRequest) -> HttpResponse:
    return _page(request, "methods", _("How the index, its uncertainty and the alerts are computed"))


def audit_walk(request: HttpRequest) -> HttpResponse:
    return _page(request, "audit_walk", _("How to run a safety audit walk"))


def demo_city(user: Any) -> City | None:
    """The synthetic demo city the visitor may see (slug ``demo`` first)."""
    candidates = [c for c in City.objects.filter(is_synthetic=True).order_by("-slug") if queries.may_see_city(user, c)]
    return next((c for c in candidates if c.slug == "demo"), candidates[0] if candidates else None)


def walkthrough_steps(city: City) -> list[dict[str, Any]]:
    """The guided path through a city's real pages: map → least secure area → profile → alert → report."""
    steps: list[dict[str, Any]] = [
        {"key": "map", "title": _("Open the city map"), "href": reverse("portal:city", args=[city.slug])}
    ]
    definition = queries.default_definition(city)
    years = queries.index_years(city, definition) if definition else []
    levels = queries.map_levels(city)
    top = None
    if definition is not None and years and levels:
        ranked = [r for r in queries.index_results(definition, years[0], levels[-1]) if r.rank is not None]
        top = ranked[0] if ranked else None
    if top is not None:
        area_href = reverse("portal:area", args=[city.slug, top.area.code])
        steps.append(
            {
                "key": "least",
                "title": _("Find the least secure area"),
                "href": reverse("portal:city", args=[city.slug]),
                "area": top.area,
                "score": top.score,
                "year": years[0],
            }
        )
        steps.append(
            {
                "key": "profile",
                "title": _("Read its profile and rank interval"),
                "href": area_href,
                "area": top.area,
                "rank": top.rank,
                "low": top.rank_low,
                "high": top.rank_high,
            }
        )
    alerts = queries.public_alerts(city, limit=1)
    if alerts:
        alert = alerts[0]["alert"]
        steps.append(
            {
                "key": "alert",
                "title": _("Look at an alert"),
                "href": reverse("portal:area", args=[city.slug, alert.area.code]),
                "alert": alert,
            }
        )
    report_href = (
        reverse("portal:area_report", args=[city.slug, top.area.code])
        if top is not None
        else reverse("portal:city_report", args=[city.slug])
    )
    steps.append({"key": "report", "title": _("Download a report"), "href": report_href})
    return steps


def walkthrough(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    city = queries.visible_city(request.user, slug) if slug else demo_city(request.user)
    steps = walkthrough_steps(city) if city is not None else []
    return _page(request, "walkthrough", _("A guided walk through the demo city"), city=city, steps=steps)
