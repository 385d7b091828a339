"""The faster spatial paths against the libraries they replace (issue 3, round 3).

- queen contiguity by vertex incidence = libpysal's ``Queen.from_iterable``;
- Moran's I moments computed here = ``esda.Moran(..., transformation="r")``;
- ``hotspot_analysis`` sharing one set of conditional draws = Gi* and Local Moran run on their own;
  the global Moran's I capped at 999 relabellings (reported) with a p-value within Monte Carlo error.
"""

from __future__ import annotations

import warnings

import esda
import libpysal
import numpy as np
import pyogrio
import pytest
from libpysal.examples import get_path
from libpysal.weights import Queen
from shapely.geometry import MultiPolygon, Polygon, box

from safercities.analytics.spatial.getis_ord import local_gi_star
from safercities.analytics.spatial.hotspots import MORAN_PERMUTATIONS, hotspot_analysis
from safercities.analytics.spatial.lisa import local_moran
from safercities.analytics.spatial.moran import global_moran
from safercities.analytics.spatial.weights import _from_rows, from_libpysal, from_neighbors, queen_weights


def _libpysal_queen(geoms, codes):
    w = Queen.from_iterable(geoms, ids=list(range(len(geoms))), silence_warnings=True)
    return _from_rows("queen", codes, [list(w.neighbors[i]) for i in range(len(geoms))])


def _same(a, b):
    return a.codes == b.codes and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)


def test_queen_equals_libpysal_on_columbus():
    geoms = list(pyogrio.read_dataframe(get_path("columbus.shp")).geometry)
    codes = [f"c{i:02d}" for i in range(len(geoms))]
    ours = queen_weights(geoms, codes)
    assert ours.n_links == 236  # columbus.gal
    assert _same(ours, _libpysal_queen(geoms, codes))


def test_queen_equals_libpysal_with_holes_multipolygons_corners_and_islands():
    grid = [box(x, y, x + 1, y + 1) for y in range(4) for x in range(5)]
    holed = Polygon([(10, 0), (14, 0), (14, 4), (10, 4)], [[(11, 1), (13, 1), (13, 3), (11, 3)]])
    inner = box(11, 1, 13, 3)  # fills the hole: shares the hole's vertices
    multi = MultiPolygon([box(5, 0, 6, 1), box(20, 20, 21, 21)])  # touches the grid's corner at (5, 0)
    far = box(-0.0, 30, 1, 31)  # an island, with a negative zero
    touching = box(1, 31, 2, 32)  # meets ``far`` at one corner only
    geoms = [*grid, holed, inner, multi, far, touching]
    codes = [f"u{i:02d}" for i in range(len(geoms))]
    ours = queen_weights(geoms, codes)
    assert _same(ours, _libpysal_queen(geoms, codes))
    assert set(ours.neighbors(codes[len(grid)])) == {codes[len(grid) + 1]}  # the hole and its filling
    # GeoJSON dicts give the same relation as shapely objects.
    assert _same(queen_weights([g.__geo_interface__ for g in geoms], codes), ours)


def _esda(y, w):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return esda.Moran(y.copy(), w.to_w(), transformation="r", permutations=0)


@pytest.mark.parametrize("case", ["columbus", "stl", "islands"])
def test_moran_moments_equal_esda(case):
    if case == "columbus":
        w = from_libpysal(libpysal.io.open(get_path("columbus.gal")).read(), name="q")
        y = pyogrio.read_dataframe(get_path("columbus.shp"))["CRIME"].to_numpy()
    elif case == "stl":
        w = from_libpysal(libpysal.io.open(get_path("stl.gal")).read(), name="q")
        y = np.array(libpysal.io.open(get_path("stl_hom.txt")).by_col["HR8893"])
    else:
        rng = np.random.default_rng(5)
        neighbours = {f"u{i}": set() for i in range(40)}
        for i in range(36):
            for j in rng.choice(36, 3, replace=False):
                if i != j:
                    neighbours[f"u{i}"].add(f"u{j}")
                    neighbours[f"u{j}"].add(f"u{i}")
        w = from_neighbors(neighbours, name="random")  # u36..u39 are islands
        y = rng.poisson(4, 40).astype(float)
    ours = global_moran(y, w, permutations=0, seed=1)
    ref = _esda(y, w)
    pairs = {
        "I": (ours.I, ref.I),
        "expected": (ours.expected, ref.EI),
        "variance_normality": (ours.variance_normality, ref.VI_norm),
        "z_normality": (ours.z_normality, ref.z_norm),
        "p_normality": (ours.p_normality, ref.p_norm),
        "variance_randomisation": (ours.variance_randomisation, ref.VI_rand),
        "z": (ours.z, ref.z_rand),
        "p_randomisation": (ours.p_randomisation, ref.p_rand),
    }
    for name, (a, b) in pairs.items():
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), name


def _lattice(side=30, seed=11):
    cells = [box(x, y, x + 1, y + 1) for y in range(side) for x in range(side)]
    codes = [f"c{y:02d}{x:02d}" for y in range(side) for x in range(side)]
    rng = np.random.default_rng(seed)
    values = rng.poisson(4, side * side).astype(float)
    values[: 3 * side] += np.tile(rng.poisson(3, side), 3)  # a band of higher counts: some clustering
    return queen_weights(cells, codes), dict(zip(codes, values, strict=True))


def test_hotspots_share_draws_and_cap_the_global_test():
    w, values = _lattice()
    y = np.array([values[c] for c in w.codes])
    res = hotspot_analysis(values, w, permutations=4999, seed=42)
    assert res.moran.permutations == MORAN_PERMUTATIONS == 999
    assert res.as_dict()["moran"]["permutations"] == 999
    gi = local_gi_star(y, w, permutations=4999, seed=42)
    li = local_moran(y, w, permutations=4999, seed=42)
    assert [u.gi_p for u in res.units] == list(gi.p_value)
    assert [u.hotspot for u in res.units] == list(gi.hotspot)
    assert [u.lisa for u in res.units] == list(li.label)
    assert [u.lisa_p for u in res.units] == [None if np.isnan(p) else p for p in li.p_value]
    # The capped global test: the same statistic, a p-value within Monte Carlo error of the full one.
    full = hotspot_analysis(values, w, permutations=4999, seed=42, moran_permutations=4999)
    assert full.moran.permutations == 4999
    assert full.moran.I == res.moran.I and full.moran.z == res.moran.z
    se = 2 * np.sqrt(max(full.moran.p_value / 2, 1 / 5000) * (1 - full.moran.p_value / 2) / 999)
    assert abs(res.moran.p_value - full.moran.p_value) <= 4 * se + 2 / 1000
    # Fewer permutations than the cap are kept as asked, and a seed still reproduces the result.
    small = hotspot_analysis(values, w, permutations=99, seed=3)
    assert small.moran.permutations == 99
    assert hotspot_analysis(values, w, permutations=99, seed=3).as_dict() == small.as_dict()
