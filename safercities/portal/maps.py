"""Maps drawn on the server as inline SVG: no tiles, no JavaScript, no CDN.

Offline installations have no base-map tiles, so a choropleth is drawn from the area boundaries
alone: coordinates (WGS 84) are projected to a local equirectangular frame (x = lon·cos φ₀, y = lat,
accurate to a fraction of a percent across a city), fitted to a fixed view box, simplified to about
half a pixel with shapely (Douglas–Peucker, topology preserved) and written as compact SVG paths.
Classes are quantiles or equal intervals (mapclassify is not installed; both are a few lines).
This module knows nothing of Django: it turns geometries and numbers into drawing instructions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import h3
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

# ColorBrewer YlOrRd, 5 classes (Brewer 2003; colour-blind safe, sequential): light = more secure.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA = "url(#nodata)"
HOT, COLD, NEUTRAL = "#b2182b", "#2166ac", "#e0e0e0"  # ColorBrewer RdBu ends, colour-blind safe
VIEW_WIDTH = 600.0
MAX_HEIGHT = 600.0
PAD = 4.0


def quantile_breaks(values: Iterable[float | None], k: int = 5) -> list[float]:
    """Upper bounds of up to ``k`` quantile classes (the last is the maximum); duplicates merged.

    >>> quantile_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 5)
    [2.8, 4.6, 6.4, 8.2, 10.0]
    >>> quantile_breaks([3, 3, 3], 5)
    [3.0]
    """
    data = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if data.size == 0:
        return []
    qs = np.quantile(data, np.linspace(0, 1, k + 1)[1:])
    return sorted({round(float(q), 10) for q in qs})


def equal_interval_breaks(values: Iterable[float | None], k: int = 5) -> list[float]:
    """Upper bounds of ``k`` classes of equal width between the minimum and the maximum.

    >>> equal_interval_breaks([0, 10], 5)
    [2.0, 4.0, 6.0, 8.0, 10.0]
    """
    data = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if data.size == 0:
        return []
    low, high = float(data.min()), float(data.max())
    if low == high:
        return [high]
    step = (high - low) / k
    return [round(low + step * (i + 1), 10) for i in range(k - 1)] + [high]


def classify(value: float | None, breaks: Sequence[float]) -> int | None:
    """Index of the class holding ``value`` (class i holds values ≤ breaks[i]); None for no data.

    >>> classify(5, [2, 4, 6]), classify(2, [2, 4, 6]), classify(None, [2])
    (2, 0, None)
    """
    if value is None or not breaks or not math.isfinite(value):
        return None
    for i, upper in enumerate(breaks):
        if value <= upper + 1e-12:
            return i
    return len(breaks) - 1


def class_colour(index: int | None, n_classes: int, *, higher_is_worse: bool = True) -> str:
    """Colour of a class; darker always means *less secure*, so "higher is better" runs reversed."""
    if index is None or n_classes == 0:
        return NO_DATA
    # Spread fewer than five classes across the whole palette so the darkest stays the darkest.
    position = index if higher_is_worse else n_classes - 1 - index
    if n_classes == 1:
        return PALETTE[len(PALETTE) // 2]
    return PALETTE[round(position * (len(PALETTE) - 1) / (n_classes - 1))]


@dataclass(frozen=True)
class LegendClass:
    low: float | None
    high: float
    colour: str
    count: int


def legend(
    values: Sequence[float | None], breaks: Sequence[float], *, higher_is_worse: bool = True
) -> list[LegendClass]:
    """One legend row per class with its range and how many areas fall in it."""
    data = [v for v in values if v is not None]
    rows = []
    for i, upper in enumerate(breaks):
        low = min(data) if i == 0 and data else (breaks[i - 1] if i else None)
        count = sum(1 for v in data if classify(v, breaks) == i)
        rows.append(LegendClass(low, upper, class_colour(i, len(breaks), higher_is_worse=higher_is_worse), count))
    return rows


@dataclass(frozen=True)
class Shape:
    """One drawable unit: a path in view-box coordinates with what to show and where it links."""

    key: str
    path: str
    fill: str
    title: str
    href: str = ""
    css: str = ""


@dataclass
class Frame:
    """Projection of WGS 84 into a view box ``width`` wide, y pointing down, aspect preserved."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float
    width: float = VIEW_WIDTH
    kx: float = field(init=False)
    scale: float = field(init=False)
    height: float = field(init=False)

    def __post_init__(self) -> None:
        self.kx = math.cos(math.radians((self.min_lat + self.max_lat) / 2))
        span_x = max((self.max_lon - self.min_lon) * self.kx, 1e-9)
        span_y = max(self.max_lat - self.min_lat, 1e-9)
        self.scale = min((self.width - 2 * PAD) / span_x, (MAX_HEIGHT - 2 * PAD) / span_y)
        self.height = round(span_y * self.scale + 2 * PAD, 1)

    @classmethod
    def around(cls, geometries: Iterable[Any], width: float = VIEW_WIDTH) -> Frame:
        bounds = np.array([g.bounds for g in geometries if g is not None and not g.is_empty], dtype=float)
        if bounds.size == 0:
            return cls(0.0, 0.0, 1.0, 1.0, width)
        return cls(bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max(), width)

    def project(self, coords: np.ndarray) -> np.ndarray:
        """(lon, lat) rows → (x, y) rows in the view box."""
        x = (coords[:, 0] - self.min_lon) * self.kx * self.scale + PAD
        y = (self.max_lat - coords[:, 1]) * self.scale + PAD
        return np.column_stack([x, y])

    def path(self, geometry: Any, tolerance: float = 0.5) -> str:
        """SVG path data of a (multi)polygon, simplified to ``tolerance`` view-box units."""
        if geometry is None or geometry.is_empty:
            return ""
        projected = shapely.transform(geometry, self.project)
        if tolerance > 0:
            projected = projected.simplify(tolerance, preserve_topology=True)
        parts = []
        polygons = projected.geoms if isinstance(projected, MultiPolygon) else [projected]
        for polygon in polygons:
            if not isinstance(polygon, Polygon) or polygon.is_empty:
                continue
            for ring in [polygon.exterior, *polygon.interiors]:
                parts.append(_ring(np.asarray(ring.coords)[:-1]))
        return "".join(parts)


def _ring(points: np.ndarray) -> str:
    """Absolute first point, then relative moves in tenths of a unit: about 8 bytes a vertex."""
    if len(points) < 3:
        return ""
    rounded = np.round(points, 1)
    first = rounded[0]
    deltas = np.round(np.diff(rounded, axis=0), 1)
    moves = " ".join(f"{_n(dx)} {_n(dy)}" for dx, dy in deltas)
    return f"M{_n(first[0])} {_n(first[1])}l{moves}z"


def _n(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def geometry_of(geojson: dict | None) -> Any:
    """A shapely polygonal geometry from GeoJSON, or None for points and broken geometries."""
    if not geojson:
        return None
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    return geometry if geometry.is_valid else shapely.make_valid(geometry).buffer(0)


def h3_polygon(cell: str) -> Polygon | None:
    """The hexagon of an h3 cell as a (lon, lat) polygon; None for an invalid cell id."""
    try:
        boundary = h3.cell_to_boundary(cell)
    except (ValueError, TypeError, h3.H3BaseException):
        return None
    return Polygon([(lon, lat) for lat, lon in boundary])
