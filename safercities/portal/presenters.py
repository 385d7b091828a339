"""Turn areas and protected values into what the templates draw: map shapes, legends, charts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from safercities.portal import maps
from safercities.portal.charts import Chart, line_chart
from safercities.portal.queries import Value


@dataclass(frozen=True)
class MapModel:
    width: float
    height: float
    shapes: list[maps.Shape]
    legend: list[maps.LegendClass]
    decimals: int
    kind: str = "choropleth"  # or "hotspot"

    @property
    def empty(self) -> bool:
        return not self.shapes


def display(value: Value) -> str:
    """Plain text of a protected value for titles and JSON (the templates use the tag)."""
    if value.withheld:
        return f"<{value.threshold}"
    if value.value is None:
        return _("no data")
    return number_format(value.value, value.decimals, use_l10n=True, force_grouping=True)


def choropleth(
    areas: Sequence[Any],
    values: dict[int, Value],
    *,
    href: Callable[[Any], str],
    higher_is_worse: bool = True,
    method: str = "quantile",
    tolerance: float = 0.6,
) -> MapModel:
    """Areas coloured by class; areas without a publishable value are hatched ("no data")."""
    geometries = {area.pk: maps.geometry_of(area.geometry) for area in areas}
    drawable = [area for area in areas if geometries[area.pk] is not None]
    frame = maps.Frame.around(geometries[a.pk] for a in drawable)
    numbers = [values.get(a.pk, Value(None)).value for a in drawable]
    breaks = (maps.equal_interval_breaks if method == "equal" else maps.quantile_breaks)(numbers)
    decimals = max((v.decimals for v in values.values()), default=1)
    shapes = []
    for area in drawable:
        value = values.get(area.pk, Value(None))
        fill = maps.class_colour(maps.classify(value.value, breaks), len(breaks), higher_is_worse=higher_is_worse)
        shapes.append(
            maps.Shape(
                key=area.code,
                path=frame.path(geometries[area.pk], tolerance),
                fill=fill,
                title=f"{area.name}: {display(value)}",
                href=href(area),
            )
        )
    return MapModel(
        round(frame.width, 1),
        frame.height,
        shapes,
        maps.legend(numbers, breaks, higher_is_worse=higher_is_worse),
        decimals,
    )


HOTSPOT_FILL = {"hot": maps.HOT, "cold": maps.COLD}


def hotspot_map(
    units: Sequence[dict[str, Any]],
    areas_by_code: dict[str, Any],
    *,
    href: Callable[[Any], str],
    tolerance: float = 0.6,
) -> MapModel:
    """Hot (red) and cold (blue) spots on areas or h3 cells; everything else light grey.

    Area units are drawn over the full set of areas given, so the city's outline is always visible.
    """
    geometries: dict[str, Any] = {}
    for code, area in areas_by_code.items():
        geometries[code] = maps.geometry_of(area.geometry)
    cells = {}
    for unit in units:
        if unit["code"] not in geometries:
            polygon = maps.h3_polygon(unit["code"])
            if polygon is not None:
                cells[unit["code"]] = polygon
    frame = maps.Frame.around([*(g for g in geometries.values() if g is not None), *cells.values()])
    label = {"hot": _("hot spot"), "cold": _("cold spot"), "": _("not significant")}
    by_code = {unit["code"]: unit for unit in units}
    shapes = []
    for code, geometry in geometries.items():
        if geometry is None:
            continue
        unit = by_code.get(code)
        state = unit["hotspot"] if unit and not cells else ""
        area = areas_by_code[code]
        title = f"{area.name}: {label.get(state, '')}" if not cells else area.name
        shapes.append(
            maps.Shape(
                key=code,
                path=frame.path(geometry, tolerance),
                fill=HOTSPOT_FILL.get(state, "#f4f4f4" if cells else maps.NEUTRAL),
                title=title,
                href=href(area),
                css="base" if cells else "",
            )
        )
    for code, polygon in cells.items():
        unit = by_code[code]
        if not unit["hotspot"]:
            continue  # only significant cells are drawn: fewer bytes, and nothing to read in the rest
        shapes.append(
            maps.Shape(
                key=code,
                path=frame.path(polygon, 0),
                fill=HOTSPOT_FILL[unit["hotspot"]],
                title=f"{code}: {label[unit['hotspot']]}, {display(unit['value'])}",
                css="cell",
            )
        )
    legend = [
        maps.LegendClass(None, 0, maps.HOT, sum(1 for u in units if u["hotspot"] == "hot")),
        maps.LegendClass(None, 0, maps.COLD, sum(1 for u in units if u["hotspot"] == "cold")),
    ]
    return MapModel(round(frame.width, 1), frame.height, shapes, legend, 0, kind="hotspot")


def chart(points: Sequence[tuple[str, Value]], **kwargs: Any) -> Chart | None:
    return line_chart([(label, value.value) for label, value in points], **kwargs)
