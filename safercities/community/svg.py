"""Server-side SVG for pages that work without JavaScript: a sparkline and a map of masked cells."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Spark:
    width: int
    height: int
    points: str
    last_x: float
    last_y: float


def sparkline(values: Sequence[float], *, width: int = 160, height: int = 36, pad: int = 3) -> Spark | None:
    """A polyline of the values, scaled to the box (None under two points)."""
    if len(values) < 2:
        return None
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (width - 2 * pad) / (len(values) - 1)
    coords = [
        (pad + i * step, height - pad - (value - low) / span * (height - 2 * pad)) for i, value in enumerate(values)
    ]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    return Spark(width, height, points, round(coords[-1][0], 1), round(coords[-1][1], 1))


@dataclass(frozen=True)
class Cell:
    points: str
    count: int


def cell_map(features: Sequence[dict[str, Any]], *, width: int = 480, height: int = 320) -> list[Cell]:
    """Polygons of published h3 cells, projected (equirectangular) into a width × height box."""
    rings = [f["geometry"]["coordinates"][0] for f in features]
    if not rings:
        return []
    lons = [p[0] for ring in rings for p in ring]
    lats = [p[1] for ring in rings for p in ring]
    span = max(max(lons) - min(lons), max(lats) - min(lats)) or 1e-6
    scale = min(width, height) / span * 0.95

    def project(lon: float, lat: float) -> str:
        return f"{(lon - min(lons)) * scale + 4:.1f},{(max(lats) - lat) * scale + 4:.1f}"

    return [
        Cell(" ".join(project(lon, lat) for lon, lat in ring), int(f["properties"]["count"]))
        for ring, f in zip(rings, features, strict=True)
    ]
