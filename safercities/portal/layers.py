"""Which map layer, period and level a request asks for (``?layer=&period=&level=``), resolved once.

The city page and its ``map.json`` share this, so the picture and the data behind it never differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, QueryDict

from safercities.indicators.models import Dimension, Indicator
from safercities.monitoring.models import IndexDefinition, IndexResult
from safercities.places.models import Area, City
from safercities.portal import queries
from safercities.portal.queries import INDEX, Value


@dataclass
class Layer:
    city: City
    key: str
    definition: IndexDefinition | None
    level: str | None
    levels: list[str]
    year: int | None
    years: list[int]
    areas: list[Area]
    values: dict[int, Value]
    results: list[IndexResult] = field(default_factory=list)
    indicator: Indicator | None = None
    dimension: Dimension | None = None

    @property
    def higher_is_worse(self) -> bool:
        return self.indicator.higher_is_worse if self.indicator is not None else True

    @property
    def kind(self) -> str:
        return "indicator" if self.indicator else "dimension" if self.dimension else INDEX


def _year(raw: str | None, years: list[int]) -> int | None:
    if raw and raw.isdigit() and int(raw) in years:
        return int(raw)
    return years[0] if years else None


def resolve(city: City, params: QueryDict | dict[str, Any], *, indicator: Indicator | None = None) -> Layer:
    """Resolve the query parameters; unknown or non-public indicator codes are a 404."""
    key = indicator.code if indicator else (params.get("layer") or INDEX)
    dims = {d.code: d for d in queries.dimensions()}
    dimension = None
    if indicator is None and key != INDEX:
        if key in dims:
            dimension = dims[key]
        else:
            indicator = queries.public_indicator(city, key)
    levels = queries.map_levels(city)
    level = params.get("level") if params.get("level") in levels else (levels[-1] if levels else None)
    definition = queries.default_definition(city)
    areas = list(Area.objects.filter(city=city, level=level).order_by("code")) if level else []
    if indicator is not None:
        years = queries.indicator_years(indicator)
        year = _year(params.get("period"), years)
        k = queries.threshold_for(indicator, queries.sensitive_categories(city))
        values = queries.indicator_layer_values(indicator, year, areas, k) if year else {}
        index_year = year if year in queries.index_years(city, definition) else None
        results = queries.index_results(definition, index_year, level, areas) if index_year and level else []
    else:
        years = queries.index_years(city, definition)
        year = _year(params.get("period"), years)
        results = queries.index_results(definition, year, level, areas) if year and level else []
        values = queries.index_layer_values(results, key)
    return Layer(city, key, definition, level, levels, year, years, areas, values, results, indicator, dimension)


def layer_choices(city: City) -> list[tuple[str, list[tuple[str, str]]]]:
    """Option groups for the layer selector: the index, its seven dimensions, then indicators by dimension."""
    from django.utils.translation import gettext as _

    dims = queries.dimensions()
    groups = [
        (_("Composite index"), [(INDEX, _("Human Security Index"))] + [(d.code, d.translated("name")) for d in dims])
    ]
    by_dimension: dict[str, list[tuple[str, str]]] = {}
    for indicator in queries.public_indicators(city):
        by_dimension.setdefault(indicator.dimension.code, []).append((indicator.code, indicator.translated("name")))
    for d in dims:
        if d.code in by_dimension:
            groups.append((d.translated("name"), by_dimension[d.code]))
    return groups


def must_exist(value: Any) -> Any:
    if value is None:
        raise Http404
    return value
