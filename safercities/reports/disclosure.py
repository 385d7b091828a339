"""Where a report may be shown in public: the one function every public output calls.

DESIGN.md ("do no harm"): points are snapped to an h3 cell, never jittered. A general report is shown at
the centre of its resolution-8 cell (about 0.7 km²); a report in a sensitive category at the centre of
its resolution-7 cell (about 5 km²), and only the cell, never the point or the street address. A report
without a point is shown at its area (the area's centroid), which is already coarse.
"""

from __future__ import annotations

from typing import Any

import h3

from safercities.analytics.disclosure import DEFAULT_RESOLUTION, SENSITIVE_RESOLUTION
from safercities.reports.models import Report


def resolution_for(report: Report) -> int:
    return SENSITIVE_RESOLUTION if report.category.sensitive else DEFAULT_RESOLUTION


def public_location(report: Report) -> dict[str, Any]:
    """``{"lat", "lon", "h3", "resolution", "area", "area_name", "address", "precision"}`` for public use.

    ``precision`` is ``"cell"`` (snapped to an h3 cell centre), ``"area"`` (an area's centroid) or
    ``"none"``. ``address`` is blank for sensitive categories.
    """
    resolution = resolution_for(report)
    area = report.area
    out: dict[str, Any] = {
        "lat": None,
        "lon": None,
        "h3": None,
        "resolution": None,
        "area": area.code if area else None,
        "area_name": area.name if area else None,
        "address": "" if report.category.sensitive else report.address,
        "precision": "none",
    }
    if report.lat is not None and report.lon is not None:
        cell = h3.latlng_to_cell(report.lat, report.lon, resolution)
        lat, lon = h3.cell_to_latlng(cell)
        out.update(lat=round(lat, 5), lon=round(lon, 5), h3=cell, resolution=resolution, precision="cell")
    elif area is not None and area.centroid_lat is not None and area.centroid_lon is not None:
        out.update(lat=round(area.centroid_lat, 5), lon=round(area.centroid_lon, 5), precision="area")
    return out
