"""Spatial statistics against published reference values (PySAL/esda documentation, GeoDa) and esda itself.

Only datasets bundled inside the installed libpysal package are used (no download): columbus, stl,
sids2, desmith.
"""

import warnings

import esda
import libpysal
import numpy as np
import pyogrio
import pytest
from libpysal.examples import get_path

from safercities.analytics.spatial import (
    empirical_bayes,
    from_libpysal,
    global_moran,
    local_gi_star,
    local_moran,
    queen_weights,
    rook_weights,
    spatial_empirical_bayes,
)
from safercities.analytics.spatial.getis_ord import gi_star_z


def _read_gal(name):
    return libpysal.io.open(get_path(name)).read()


@pytest.fixture(scope="module")
def columbus():
    df = pyogrio.read_dataframe(get_path("columbus.shp"))
    return df


@pytest.fixture(scope="module")
def columbus_gal():
    return from_libpysal(_read_gal("columbus.gal"), name="queen-columbus.gal")


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def test_columbus_crime_moran_queen_gal(columbus, columbus_gal):
    # Reference: esda documentation / GeoDa Columbus workbook — Moran's I of CRIME with queen
    # contiguity (columbus.gal, 236 links) = 0.500189, E[I] = -1/48 = -0.020833, z_norm = 5.6303.
    assert columbus_gal.n_links == 236
    res = global_moran(columbus["CRIME"].to_numpy(), columbus_gal, permutations=999, seed=20)
    assert res.I == pytest.approx(0.500188557, abs=1e-8)
    assert res.expected == pytest.approx(-1 / 48)
    assert res.z_normality == pytest.approx(5.630313, abs=1e-5)
    assert res.z == pytest.approx(5.589383, abs=1e-5)  # randomisation z
    # 999 permutations: nothing as extreme as 0.50 -> the smallest two-sided pseudo p, 2/1000.
    assert res.p_value == pytest.approx(0.002)
    assert res.permutations == 999 and res.weights == "queen-columbus.gal"


def test_columbus_queen_from_shapefile_equals_gal_and_rook_differs(columbus, columbus_gal):
    # Reference: libpysal's Queen.from_shapefile on columbus.shp gives the 236 links of columbus.gal;
    # rook contiguity gives 200 links and I = 0.523670 (GeoDa, rook weights on Columbus).
    geoms = list(columbus.geometry.values)
    codes = [str(i) for i in range(1, len(geoms) + 1)]
    queen = queen_weights(geoms, codes)
    assert queen.n_links == 236
    assert {c: set(queen.neighbors(c)) for c in codes} == {c: set(columbus_gal.neighbors(c)) for c in codes}
    rook = rook_weights(geoms, codes)
    assert rook.n_links == 200
    assert global_moran(columbus["CRIME"].to_numpy(), rook, permutations=0, seed=0).I == pytest.approx(
        0.5236702, abs=1e-7
    )


def test_stl_homicide_moran():
    # Reference: esda.Moran docstring (St Louis homicide rates HR8893, stl.gal): I = 0.244,
    # EI = -0.012987012987012988, p_norm = 0.00027147862770937614.
    w = from_libpysal(_read_gal("stl.gal"), name="stl.gal")
    y = np.array(libpysal.io.open(get_path("stl_hom.txt")).by_col["HR8893"])
    res = global_moran(y, w, permutations=99, seed=1)
    assert round(res.I, 3) == 0.244
    assert res.expected == pytest.approx(-0.012987012987012988)
    assert res.p_normality == pytest.approx(0.00027147862770937614, rel=1e-9)


def test_sids_moran_replicates_geoda():
    # Reference: esda.Moran docstring "SIDS example replicating OpenGeoda": SIDR74 with sids2.gal,
    # I = 0.248, p_norm = 0.0001158330781489969.
    w = from_libpysal(_read_gal("sids2.gal"), name="sids2.gal")
    y = np.array(libpysal.io.open(get_path("sids2.dbf")).by_col("SIDR74"))
    res = global_moran(y, w, permutations=99, seed=1)
    assert round(res.I, 3) == 0.248
    assert res.p_normality == pytest.approx(0.0001158330781489969, rel=1e-9)


def test_moran_does_not_depend_on_callers_w_transform(columbus):
    # Reference: NOTES — esda.Moran ignores w.transform; our weights are binary and we always pass 'r'.
    w = _read_gal("columbus.gal")
    w.transform = "b"
    res = global_moran(columbus["CRIME"].to_numpy(), from_libpysal(w, name="q"), permutations=0, seed=0)
    assert res.I == pytest.approx(0.500188557, abs=1e-8)
    assert w.transform == "B"  # the caller's W was not touched


def test_gi_star_matches_esda_docstring_points():
    # Reference: esda.G_Local docstring — six points, DistanceBand(threshold=15), binary, star=True:
    # Zs = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331].
    points = [(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)]
    w = from_libpysal(libpysal.weights.DistanceBand(points, threshold=15, silence_warnings=True), name="distance-15")
    _, z = gi_star_z([2, 3, 3.2, 5, 8, 7], w)
    np.testing.assert_allclose(
        z, [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331], atol=1e-8
    )


def test_gi_star_z_equals_esda_on_columbus(columbus, columbus_gal):
    # Reference: esda.G_Local(star=True, transform="B").Zs on the same weights (n-variance convention).
    y = columbus["CRIME"].to_numpy()
    ours = local_gi_star(y, columbus_gal, permutations=199, seed=4)
    theirs = _quiet(esda.G_Local, y, columbus_gal.to_w(), transform="B", star=True, permutations=0)
    np.testing.assert_allclose(ours.z, theirs.Zs, atol=1e-12)
    np.testing.assert_allclose(ours.g, theirs.Gs, atol=1e-12)
    # Observation 1 (first polygon): the published esda value to 6 decimals.
    assert ours.z[0] == pytest.approx(-1.432780, abs=1e-6)
    assert ours.variance == "n"


def test_gi_star_pseudo_p_agrees_with_esda_distributionally(columbus, columbus_gal):
    # Reference: esda's p_sim (directed convention) — different random draws, same conditional null:
    # the two sets of pseudo p-values must agree closely (they cannot be equal across generators).
    y = columbus["CRIME"].to_numpy()
    ours = local_gi_star(y, columbus_gal, permutations=999, seed=4, alternative="directed")
    theirs = _quiet(esda.G_Local, y, columbus_gal.to_w(), transform="B", star=True, permutations=999, seed=4)
    diff = np.abs(np.array(ours.p_value) - theirs.p_sim)
    assert np.median(diff) < 0.02 and diff.max() < 0.08


def test_local_moran_is_equal_esda_and_quadrants_match_docstring():
    # Reference: esda.Moran_Local docstring (desmith.gal, desmith.txt z): q = [4,4,4,2,3,3,1,4,3,3] with
    # esda's codes 1=HH, 2=LH, 3=LL, 4=HL.
    wd = _read_gal("desmith.gal")
    y = np.array(libpysal.io.open(get_path("desmith.txt")).by_col["z"])
    res = local_moran(y, from_libpysal(wd, name="desmith.gal"), permutations=99, seed=1)
    code = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    assert res.quadrant == tuple(code[q] for q in [4, 4, 4, 2, 3, 3, 1, 4, 3, 3])
    lm = _quiet(esda.Moran_Local, y, wd, transformation="r", permutations=0)
    np.testing.assert_allclose(res.I, lm.Is, atol=1e-12)


def test_local_moran_equals_esda_on_columbus_and_z_uses_one_convention(columbus, columbus_gal):
    # Reference: esda.Moran_Local.Is (n-1 convention) and its total-randomisation moments EI, VI
    # (n convention; Sokal et al. 1998 A3-A4): z = (Is * n/(n-1) - EI) / sqrt(VI).
    y = columbus["CRIME"].to_numpy()
    n = len(y)
    res = local_moran(y, columbus_gal, permutations=99, seed=2)
    lm = _quiet(esda.Moran_Local, y, columbus_gal.to_w(), transformation="r", permutations=0)
    np.testing.assert_allclose(res.I, lm.Is, atol=1e-12)
    np.testing.assert_allclose(res.z, (lm.Is * n / (n - 1) - lm.EI) / np.sqrt(lm.VI), atol=1e-10)
    # The trap: mixing esda's n-1 Is with its n-convention moments gives a different z.
    mixed = (lm.Is - lm.EI) / np.sqrt(lm.VI)
    assert np.max(np.abs(mixed - np.array(res.z))) > 1e-3


def test_empirical_bayes_matches_esda_docstring_stl():
    # Reference: esda.smoothing.Empirical_Bayes docstring (stl_hom.csv columns 11 and 14), eb.r[:10].
    stl = libpysal.io.open(get_path("stl_hom.csv"), "r")
    e, b = np.array(stl[:, 10]), np.array(stl[:, 13])
    res = empirical_bayes(e, b)
    published = [2.36718950e-05, 4.54539167e-05, 4.78114019e-05, 2.76907146e-05, 6.58989323e-05,
                 3.66494122e-05, 5.79952721e-05, 2.03064590e-05, 3.31152999e-05, 3.02748380e-05]  # fmt: skip
    np.testing.assert_allclose(res.smoothed[:10], published, rtol=1e-7)
    np.testing.assert_allclose(res.smoothed, esda.smoothing.Empirical_Bayes(e, b).r.ravel(), rtol=1e-12)


def test_spatial_empirical_bayes_matches_esda_stl():
    # Reference: esda.smoothing.Spatial_Empirical_Bayes docstring (stl_hom.csv, stl.gal), s_eb.r[:10].
    stl = libpysal.io.open(get_path("stl_hom.csv"), "r")
    e, b = np.array(stl[:, 10]), np.array(stl[:, 13])
    wl = _read_gal("stl.gal")
    res = spatial_empirical_bayes(e, b, from_libpysal(wl, name="stl.gal"))
    published = [4.01485749e-05, 3.62437513e-05, 4.93034844e-05, 5.09387329e-05, 3.72735210e-05,
                 3.69333797e-05, 5.40245456e-05, 2.99806055e-05, 3.73034109e-05, 3.47270722e-05]  # fmt: skip
    np.testing.assert_allclose(res.smoothed[:10], published, rtol=1e-7)
    theirs = esda.smoothing.Spatial_Empirical_Bayes(e, b, wl).r.ravel()
    np.testing.assert_allclose(res.smoothed, theirs, rtol=1e-10)
