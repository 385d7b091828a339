"""Vectorised point-in-area assignment and h3 cells for incident imports.

A Python loop over a million points is a hundred times slower than these array operations (NOTES.md,
Geometry): points are sorted by longitude once per chunk, each polygon takes the slice inside its
bounding box with ``searchsorted``, and shapely 2 tests only those candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

import h3.api.numpy_int as h3_int
import numpy as np
import shapely
from shapely.geometry import shape

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


@dataclass(frozen=True)
class AreaPolygon:
    area_id: int
    code: str
    area_km2: float
    geometry: shapely.Geometry


class AreaIndex:
    """The polygon areas of a city, ready to assign points to the *smallest* area that contains them.

    Polygons are tested largest first and later hits overwrite earlier ones, so a point inside a
    neighbourhood inside a district ends in the neighbourhood. Points on a boundary count as inside
    (``intersects_xy``): a point on the edge between two areas goes to the smaller one (equal sizes:
    the lower code), and no event is lost to a shared edge.
    """

    def __init__(self, polygons: Sequence[AreaPolygon]) -> None:
        ordered = sorted(polygons, key=lambda p: (-p.area_km2, tuple(-ord(c) for c in p.code)))
        self.polygons = ordered
        self.ids = np.array([p.area_id for p in ordered], dtype=np.int64)
        self.bounds = np.array([p.geometry.bounds for p in ordered], dtype=np.float64).reshape(-1, 4)
        for polygon in ordered:
            shapely.prepare(polygon.geometry)

    @classmethod
    def from_areas(cls, areas: Sequence[tuple[int, str, float, dict]]) -> tuple[AreaIndex, list[str]]:
        """Build from ``(id, code, area_km2, geojson)``; returns the index and codes of unusable shapes."""
        polygons, skipped = [], []
        for area_id, code, km2, geojson in areas:
            try:
                geometry = shape(geojson)
                if not geometry.is_valid:
                    geometry = shapely.make_valid(geometry)
            except Exception:  # noqa: BLE001 — any broken GeoJSON means "cannot contain points"
                skipped.append(code)
                continue
            if geometry.is_empty or geometry.geom_type not in {"Polygon", "MultiPolygon", "GeometryCollection"}:
                skipped.append(code)
                continue
            polygons.append(AreaPolygon(area_id, code, float(km2 or 0.0), geometry))
        return cls(polygons), skipped

    def assign(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Area id for each point (0 where no area contains it or the point has no coordinates)."""
        out = np.full(lon.shape[0], -1, dtype=np.int64)
        valid = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
        if valid.size and len(self.polygons):
            order = valid[np.argsort(lon[valid], kind="stable")]
            xs = lon[order]
            lows = np.searchsorted(xs, self.bounds[:, 0], side="left")
            highs = np.searchsorted(xs, self.bounds[:, 2], side="right")
            for k, polygon in enumerate(self.polygons):
                lo, hi = lows[k], highs[k]
                if lo >= hi:
                    continue
                candidates = order[lo:hi]
                y = lat[candidates]
                candidates = candidates[(y >= self.bounds[k, 1]) & (y <= self.bounds[k, 3])]
                if candidates.size:
                    hit = shapely.intersects_xy(polygon.geometry, lon[candidates], lat[candidates])
                    out[candidates[hit]] = k
        ids = np.zeros(lon.shape[0], dtype=np.int64)
        inside = out >= 0
        ids[inside] = self.ids[out[inside]]
        return ids


def h3_cells(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    """h3 cells (v4) as 64-bit integers; 0 where a point has no coordinates."""
    cells = np.zeros(lat.shape[0], dtype=np.uint64)
    valid = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
    to_cell = h3_int.latlng_to_cell
    cells[valid] = list(map(to_cell, lat[valid].tolist(), lon[valid].tolist(), repeat(resolution, valid.size)))
    return cells


def h3_strings(cells: np.ndarray) -> np.ndarray:
    """The canonical h3 strings (lower-case hex, 15 digits) of integer cells; "" for 0.

    Every valid cell index lies in [2**59, 2**60), so its hex form always has exactly 15 digits.
    """
    cells = np.asarray(cells, dtype=np.uint64)
    octets = cells.astype(">u8").view(np.uint8).reshape(-1, 8)
    nibbles = np.empty((cells.shape[0], 16), dtype=np.uint8)
    nibbles[:, 0::2] = octets >> 4
    nibbles[:, 1::2] = octets & 0xF
    text = np.ascontiguousarray(_HEX[nibbles[:, 1:]]).reshape(-1).view("S15").astype("U15")
    return np.where(cells == 0, "", text)
