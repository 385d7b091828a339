"""A small nested geography: district D1 (two neighbourhoods inside) and district D2, in lon/lat degrees.

lat 2 +-----------+-----------+
      |  D1 only  |           |
lat 1 +-----+-----+    D2     |
      | N1  | N2  |           |
lat 0 +-----+-----+-----------+
     lon 0  1     2           4
"""

from __future__ import annotations

import pytest

from safercities.places.models import Area


def square(x0: float, y0: float, x1: float, y1: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def make_area(city, code, geometry, km2, parent=None, level="neighbourhood") -> Area:
    return Area.objects.create(
        city=city, code=code, name=code, level=level, parent=parent, geometry=geometry, area_km2=km2
    )


@pytest.fixture
def areas(city):
    d1 = make_area(city, "D1", square(0, 0, 2, 2), 49_000, level="district")
    d2 = make_area(city, "D2", square(2, 0, 4, 2), 49_000, level="district")
    # N1 is a little smaller than N2, so a point on their shared edge goes to N1.
    n1 = make_area(city, "N1", square(0, 0, 1, 1), 12_000, parent=d1)
    n2 = make_area(city, "N2", square(1, 0, 2, 1), 12_300, parent=d1)
    return {"D1": d1, "D2": d2, "N1": n1, "N2": n2}


@pytest.fixture
def write(tmp_path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def _write(content: str | bytes, name: str = "incidents.csv", encoding: str = "utf-8"):
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding=encoding, newline="")
        return path

    return _write
