"""Spatial weights: contiguity from shapely/GeoJSON, h3 rings, k nearest neighbours, distance bands."""

import h3
import numpy as np
import pytest
from shapely.geometry import box, mapping

from safercities.analytics.spatial import (
    distance_weights,
    from_neighbors,
    h3_weights,
    knn_weights,
    queen_weights,
    rook_weights,
)


def test_queen_and_rook_on_a_3x3_grid_from_geojson():
    # Reference: hand count — a 3x3 grid has 40 queen links (directed) and 24 rook links.
    cells = [box(x, y, x + 1, y + 1) for y in range(3) for x in range(3)]
    codes = [f"g{i}" for i in range(9)]
    features = [{"type": "Feature", "geometry": mapping(c), "properties": {}} for c in cells]
    q = queen_weights(features, codes)
    r = rook_weights([mapping(c) for c in cells], codes)
    assert (q.name, q.n_links, r.name, r.n_links) == ("queen", 40, "rook", 24)
    assert q.neighbors("g4") == tuple(f"g{i}" for i in range(9) if i != 4)
    assert r.neighbors("g0") == ("g1", "g3")


def test_separated_polygon_is_an_island():
    # Reference: island policy — a polygon touching nothing has no neighbours and is listed.
    geoms = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)]
    w = queen_weights(geoms, ["a", "b", "far"])
    assert w.islands == ("far",)
    assert w.sparse(transform="r").sum(axis=1).ravel().tolist() == [[1.0, 1.0, 0.0]]


def test_h3_rings():
    # Reference: h3 grid_disk — a hexagon has 6 cells at distance 1 and 18 within distance 2.
    centre = h3.latlng_to_cell(-33.92, 18.42, 8)
    cells = list(h3.grid_disk(centre, 3))
    w1 = h3_weights(cells, k=1)
    w2 = h3_weights([h3.str_to_int(c) for c in cells], k=2)
    assert w1.name == "h3-k1" and w2.name == "h3-k2"
    assert len(w1.neighbors(centre)) == 6 and len(w2.neighbors(centre)) == 18
    assert w1.n_links == sum(len(set(h3.grid_disk(c, 1)) & set(cells)) - 1 for c in cells)
    sparse_cells = [centre, h3.grid_ring(centre, 3)[0]]
    assert h3_weights(sparse_cells).islands == tuple(sparse_cells)
    with pytest.raises(ValueError, match="not an h3 cell"):
        h3_weights(["nonsense"])


def test_knn_uses_great_circle_distance():
    # Reference: at latitude 60 a degree of longitude is half a degree of latitude (cos 60 = 0.5), so
    # the point 0.3 deg east (~16.7 km) is nearer than the one 0.2 deg north (~22.2 km).
    pts = [(10.0, 60.0), (10.3, 60.0), (10.0, 60.2), (11.5, 61.0)]
    w = knn_weights(pts, ["o", "east", "north", "far"], k=1)
    assert w.name == "knn-1" and w.neighbors("o") == ("east",)
    assert knn_weights(pts, ["o", "east", "north", "far"], k=2).neighbors("o") == ("east", "north")
    assert not knn_weights(pts, ["o", "east", "north", "far"], k=2).islands


def test_distance_band_km():
    # Reference: haversine — 0.01 deg of longitude at the equator is 1.112 km.
    pts = [(0.0, 0.0), (0.01, 0.0), (0.03, 0.0)]
    assert distance_weights(pts, ["a", "b", "c"], 1.2).neighbors("a") == ("b",)
    assert distance_weights(pts, ["a", "b", "c"], 1.0).islands == ("a", "b", "c")
    assert distance_weights(pts, ["a", "b", "c"], 2.5).name == "distance-2.5km"


def test_subset_drops_links_and_validation():
    # Reference: definition — restricting the units removes links to the dropped ones.
    w = from_neighbors({"a": ["b"], "b": ["a", "c"], "c": ["b"]}, name="line")
    s = w.subset(["a", "c"])
    assert s.islands == ("a", "c") and s.name == "line"
    with pytest.raises(KeyError):
        from_neighbors({"a": ["zz"]}, name="bad")
    with pytest.raises(ValueError, match="unique"):
        from_neighbors({"a": []}, name="x").__class__("x", ("a", "a"), np.zeros(3), np.zeros(0))


def test_to_w_and_graph_are_fresh_copies():
    # Reference: libpysal — a W handed to esda may be transformed in place; ours stays binary.
    w = from_neighbors({"a": ["b"], "b": ["a", "c"], "c": ["b"]}, name="line")
    lw = w.to_w()
    lw.transform = "r"
    assert w.to_w().transform == "O" and w.sparse().sum() == 4
    g = w.to_graph()
    assert g.n == 3 and g.cardinalities.tolist() == [1, 2, 1]
