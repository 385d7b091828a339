"""The SVG map generator and the classification, on geometry small enough to check by hand."""

from __future__ import annotations

import math
import re

import pytest
from shapely.geometry import shape

from safercities.portal import maps
from safercities.portal.charts import line_chart, trend
from safercities.portal.tests.factories import square


def _points(path: str) -> list[tuple[float, float]]:
    """Absolute vertices of a path written as M x y l dx dy … z."""
    match = re.fullmatch(r"M(-?[\d.]+) (-?[\d.]+)l([-\d. ]+)z", path)
    assert match, path
    x, y = float(match[1]), float(match[2])
    points = [(x, y)]
    numbers = [float(n) for n in match[3].split()]
    for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
        x, y = x + dx, y + dy
        points.append((round(x, 1), round(y, 1)))
    return points


def test_two_squares_side_by_side():
    left, right = shape(square(0)), shape(square(1))
    frame = maps.Frame.around([left, right])
    # Two degree-squares in a row: twice as wide as high, times cos φ (a degree of longitude is shorter).
    assert frame.width == maps.VIEW_WIDTH
    inner_w, inner_h = frame.width - 2 * maps.PAD, frame.height - 2 * maps.PAD
    assert inner_w / inner_h == pytest.approx(2 * math.cos(math.radians(19.005)), rel=0.001)
    a, b = _points(frame.path(left)), _points(frame.path(right))
    assert len(a) == len(b) == 4
    # Left square spans the left half, right square the right half; y grows downwards (north on top).
    assert min(x for x, _ in a) == pytest.approx(maps.PAD, abs=0.1)
    assert max(x for x, _ in a) == pytest.approx(min(x for x, _ in b), abs=0.2)
    assert max(x for x, _ in b) == pytest.approx(frame.width - maps.PAD, abs=0.2)
    assert min(y for _, y in a) == pytest.approx(maps.PAD, abs=0.1)


def test_simplification_drops_needless_vertices():
    ring = [[-98.2 + 0.0001 * i, 19.0] for i in range(100)] + [[-98.19, 19.01], [-98.2, 19.01], [-98.2, 19.0]]
    polygon = shape({"type": "Polygon", "coordinates": [ring]})
    frame = maps.Frame.around([polygon])
    assert len(_points(frame.path(polygon, tolerance=0.5))) == 4
    assert len(_points(frame.path(polygon, tolerance=0))) > 50


def test_hole_and_multipolygon_give_one_subpath_each():
    outer = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]
    geometry = maps.geometry_of(
        {"type": "MultiPolygon", "coordinates": [[outer, hole], [[[5, 0], [6, 0], [6, 1], [5, 0]]]]}
    )
    path = maps.Frame.around([geometry]).path(geometry, 0)
    assert path.count("M") == 3 and path.count("z") == 3


def test_geometry_of_rejects_points_and_garbage():
    assert maps.geometry_of({"type": "Point", "coordinates": [1, 2]}) is None
    assert maps.geometry_of({"type": "Polygon"}) is None
    assert maps.geometry_of(None) is None


def test_quantile_and_equal_interval_breaks():
    assert maps.quantile_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [2.8, 4.6, 6.4, 8.2, 10.0]
    assert maps.equal_interval_breaks([0, 5, 10]) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert maps.quantile_breaks([None, 4, 4]) == [4.0]
    assert maps.quantile_breaks([]) == []
    # Each quantile class holds about the same number of values.
    values = list(range(100))
    breaks = maps.quantile_breaks(values)
    counts = [sum(1 for v in values if maps.classify(v, breaks) == i) for i in range(5)]
    assert counts == [20, 20, 20, 20, 20]


def test_class_colour_darker_means_less_secure():
    assert maps.class_colour(4, 5) == maps.PALETTE[-1]
    assert maps.class_colour(4, 5, higher_is_worse=False) == maps.PALETTE[0]
    assert maps.class_colour(None, 5) == maps.NO_DATA
    assert maps.class_colour(1, 2) == maps.PALETTE[-1]  # two classes still span the palette


def test_legend_counts_and_ranges():
    rows = maps.legend([1, 2, 3, None], [2.0, 3.0])
    assert [(r.low, r.high, r.count) for r in rows] == [(1, 2.0, 2), (2.0, 3.0, 1)]


def test_h3_cell_polygon():
    import h3

    cell = h3.latlng_to_cell(19.0, -98.2, 8)
    polygon = maps.h3_polygon(cell)
    assert len(polygon.exterior.coords) == 7
    assert polygon.contains(shape({"type": "Point", "coordinates": [-98.2, 19.0]}))
    assert maps.h3_polygon("not-a-cell") is None


def test_line_chart_and_trend():
    chart = line_chart([("2022", 1.0), ("2023", 2.0), ("2024", 3.0)])
    ys = [dot[1] for dot in chart.dots]
    assert ys[0] > ys[1] > ys[2]  # rising values go up the chart
    assert line_chart([("2024", 1.0)]) is None
    assert trend([5, 4], higher_is_worse=True).better is True
    assert trend([5, 4], higher_is_worse=False).better is False
    assert trend([5, 5.01], higher_is_worse=True).direction == "flat"
