"""Spatial weights: who is a neighbour of whom, with a name that travels with the results.

Every hot-spot result states the neighbour definition it was computed with, because the same data
give different answers under different neighbours (Columbus ships three different "queen" lists
with 236, 230 and 232 links). The weights are therefore a small immutable object,
:class:`SpatialWeights`, holding the unit codes, a *binary* neighbour relation (CSR arrays,
read-only) and a ``name`` such as ``queen``, ``rook``, ``h3-k1``, ``knn-6`` or ``distance-2km``.

Why our own object and not libpysal's ``W``
-------------------------------------------
libpysal's legacy ``W`` is mutable (``w.transform = "r"`` changes it in place, and ``esda.Moran``,
``esda.G_Local`` and ``esda.smoothing.Spatial_Rate`` all do so on the caller's object). We keep the
relation binary and immutable and hand esda a *fresh* ``W`` (:meth:`SpatialWeights.to_w`) or an
immutable ``libpysal.graph.Graph`` (:meth:`SpatialWeights.to_graph`) whenever it is needed. Each
statistic applies its own transformation explicitly (row-standardised for Moran's I and Local
Moran, binary with self-weight 1 for Gi*).

Island policy
-------------
An *island* is a unit with no neighbour (an actual island, a cell with no occupied ring, a polygon
separated by a gap). We do not invent neighbours. Islands

- stay in the data: they count in the mean, the variance and the permutation pool of every statistic
  (they are part of the study region's distribution);
- have no local statistic: Gi*, Local Moran and their p-values are ``NaN`` and their ``hotspot`` and
  ``lisa`` labels are ``None`` (``null`` in JSON), and they are not counted in the false-discovery
  correction;
- add nothing to the cross-product of the global Moran's I (a zero row of the row-standardised
  matrix), which is also what ``esda.Moran`` does.

:attr:`SpatialWeights.islands` lists them so a report can say so.

References
----------
Anselin, L. (1988). *Spatial Econometrics: Methods and Models*. Kluwer (contiguity weights).
Uber Technologies (2018-). H3: a hexagonal hierarchical geospatial indexing system, ``grid_disk``.
Rey, S. J. and Anselin, L. (2007). PySAL: A Python Library of Spatial Analytical Methods.
*The Review of Regional Studies* 37(1), 5-27.

Examples
--------
>>> w = from_neighbors({"a": ["b"], "b": ["a", "c"], "c": ["b"], "d": []}, name="custom")
>>> w.name, w.n, w.cardinalities.tolist(), w.islands
('custom', 4, [1, 2, 1, 0], ('d',))
>>> w.neighbors("b")
('a', 'c')
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import h3
import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

__all__ = [
    "SpatialWeights",
    "distance_weights",
    "from_libpysal",
    "from_neighbors",
    "h3_weights",
    "knn_weights",
    "queen_weights",
    "rook_weights",
]

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)


@dataclass(frozen=True)
class SpatialWeights:
    """An immutable, named, binary neighbour relation over coded units.

    Parameters
    ----------
    name : str
        How the neighbours were defined (``queen``, ``h3-k1``, ``knn-6``...); reported with results.
    codes : tuple of str
        Unit codes, in the order of every array of values passed to the statistics.
    indptr, indices : numpy.ndarray
        CSR structure of the binary relation (row ``i`` lists the positions of ``i``'s neighbours);
        made read-only on construction.
    """

    name: str
    codes: tuple[str, ...]
    indptr: np.ndarray
    indices: np.ndarray

    def __post_init__(self) -> None:
        indptr = np.array(self.indptr, dtype=np.int64)
        indices = np.array(self.indices, dtype=np.int64)
        n = len(self.codes)
        if len(set(self.codes)) != n:
            raise ValueError("unit codes must be unique")
        if indptr.shape != (n + 1,) or indptr[0] != 0 or indptr[-1] != len(indices):
            raise ValueError("indptr does not describe the given units")
        if len(indices) and (indices.min() < 0 or indices.max() >= n):
            raise ValueError("a neighbour index is out of range")
        rows = np.repeat(np.arange(n), np.diff(indptr))
        if np.any(rows == indices):
            raise ValueError("a unit cannot be its own neighbour (self-weights are added by the statistics)")
        indptr.setflags(write=False)
        indices.setflags(write=False)
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "codes", tuple(str(c) for c in self.codes))

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.codes)

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each unit (self not counted)."""
        return np.diff(self.indptr)

    @property
    def n_links(self) -> int:
        """Number of (directed) neighbour links; libpysal's ``s0`` of the binary weights."""
        return int(self.indptr[-1])

    @property
    def islands(self) -> tuple[str, ...]:
        """Codes of the units without neighbours (see the island policy)."""
        return tuple(c for c, k in zip(self.codes, self.cardinalities, strict=True) if k == 0)

    @property
    def island_mask(self) -> np.ndarray:
        return self.cardinalities == 0

    def neighbors(self, code: str) -> tuple[str, ...]:
        i = self.codes.index(code)
        return tuple(self.codes[j] for j in self.indices[self.indptr[i] : self.indptr[i + 1]])

    def sparse(self, *, transform: str = "b", self_weight: float = 0.0) -> sparse.csr_matrix:
        """A new sparse matrix: ``transform='b'`` binary or ``'r'`` row-standardised (zero rows stay zero).

        ``self_weight`` puts that value on the diagonal *before* the transformation (Gi* uses 1).
        """
        data = np.ones(len(self.indices))
        m = sparse.csr_matrix((data, self.indices.copy(), self.indptr.copy()), shape=(self.n, self.n))
        if self_weight:
            m = (m + sparse.identity(self.n, format="csr") * self_weight).tocsr()
        if transform == "r":
            rs = np.asarray(m.sum(axis=1)).ravel()
            inv = np.divide(1.0, rs, out=np.zeros_like(rs), where=rs > 0)
            m = sparse.diags(inv) @ m
        elif transform != "b":
            raise ValueError("transform must be 'b' or 'r'")
        return sparse.csr_matrix(m)

    def to_w(self) -> Any:
        """A fresh binary ``libpysal.weights.W`` with ``id_order`` = codes (esda may mutate it; we don't care)."""
        from libpysal.weights import W

        neigh = {
            c: [self.codes[j] for j in self.indices[self.indptr[i] : self.indptr[i + 1]]]
            for i, c in enumerate(self.codes)
        }
        return W(neigh, id_order=list(self.codes), silence_warnings=True)

    def to_graph(self) -> Any:
        """An immutable ``libpysal.graph.Graph`` (binary) over the same codes."""
        from libpysal.graph import Graph

        return Graph.from_W(self.to_w())

    def subset(self, codes: Iterable[str]) -> SpatialWeights:
        """The relation restricted to ``codes`` (links to dropped units disappear; new islands may appear)."""
        keep = [str(c) for c in codes]
        pos = {c: i for i, c in enumerate(self.codes)}
        missing = [c for c in keep if c not in pos]
        if missing:
            raise KeyError(f"unknown unit codes: {missing[:5]}")
        old = np.array([pos[c] for c in keep], dtype=np.int64)
        new_of_old = np.full(self.n, -1, dtype=np.int64)
        new_of_old[old] = np.arange(len(old))
        rows: list[np.ndarray] = []
        for i in old:
            nb = new_of_old[self.indices[self.indptr[i] : self.indptr[i + 1]]]
            rows.append(nb[nb >= 0])
        return _from_rows(self.name, keep, rows)


def _from_rows(name: str, codes: Sequence[str], rows: Sequence[Iterable[int]]) -> SpatialWeights:
    """CSR arrays from neighbour lists: each row sorted, without duplicates or the unit itself (one
    ``lexsort`` for all rows instead of a ``numpy.unique`` per row)."""
    lists = [np.asarray(list(r) if not isinstance(r, np.ndarray) else r, dtype=np.int64).ravel() for r in rows]
    sizes = np.array([len(r) for r in lists], dtype=np.int64)
    row = np.repeat(np.arange(len(lists), dtype=np.int64), sizes)
    col = np.concatenate(lists) if lists else np.empty(0, dtype=np.int64)
    order = np.lexsort((col, row))
    row, col = row[order], col[order]
    keep = col != row
    keep[1:] &= (col[1:] != col[:-1]) | (row[1:] != row[:-1])
    row, col = row[keep], col[keep]
    indptr = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=len(lists)), out=indptr[1:])
    return SpatialWeights(name=name, codes=tuple(codes), indptr=indptr, indices=col)


def from_neighbors(neighbors: Mapping[str, Iterable[str]], *, name: str) -> SpatialWeights:
    """Weights from ``{code: [neighbour codes]}``; every neighbour must itself be a key."""
    codes = [str(c) for c in neighbors]
    pos = {c: i for i, c in enumerate(codes)}
    rows = []
    for c in codes:
        nbs = [str(x) for x in neighbors[c]]
        unknown = [x for x in nbs if x not in pos]
        if unknown:
            raise KeyError(f"neighbours of {c!r} are not units: {unknown[:5]}")
        rows.append([pos[x] for x in nbs])
    return _from_rows(name, codes, rows)


def from_libpysal(w: Any, *, name: str) -> SpatialWeights:
    """Weights from a libpysal ``W`` (binary structure only, in ``w.id_order``); ``w`` is not changed."""
    return from_neighbors({str(i): [str(j) for j in w.neighbors[i]] for i in w.id_order}, name=name)


def _as_geometry(g: BaseGeometry | Mapping[str, Any]) -> BaseGeometry:
    if isinstance(g, BaseGeometry):
        return g
    if isinstance(g, Mapping):
        return shape(g.get("geometry", g) if g.get("type") == "Feature" else g)
    raise TypeError(f"not a shapely geometry or GeoJSON dict: {type(g).__name__}")


def _shared_vertices(geoms: Sequence[BaseGeometry]) -> list[np.ndarray]:
    """Queen neighbours as libpysal's ``ContiguityWeightsLists`` defines them — polygons having a boundary
    vertex (exterior or hole ring, any part) with *exactly* equal coordinates — found with numpy: a
    polygon × vertex incidence matrix times its transpose. libpysal's pure-Python vertex hashing (and its
    import) cost ~2 s on 2,000 polygons; the relation is the same (tested against libpysal)."""
    import shapely

    coords, owner = shapely.get_coordinates(shapely.boundary(np.asarray(geoms, dtype=object)), return_index=True)
    if len(coords) == 0:
        return [np.empty(0, dtype=np.int64) for _ in geoms]
    coords = coords + 0.0  # -0.0 → 0.0: libpysal's tuple keys treat them as the same vertex
    _unique, vertex = np.unique(coords, axis=0, return_inverse=True)
    vertex = vertex.ravel()
    incidence = sparse.csr_matrix((np.ones(len(owner)), (owner, vertex)), shape=(len(geoms), int(vertex.max()) + 1))
    incidence.data[:] = 1.0  # a vertex repeated in a ring (closing point) counts once
    shared = (incidence @ incidence.T).tocsr()
    return [shared.indices[shared.indptr[i] : shared.indptr[i + 1]] for i in range(len(geoms))]


def _contiguity(geometries: Sequence[Any], codes: Sequence[str], *, rook: bool) -> SpatialWeights:
    if len(geometries) != len(codes):
        raise ValueError("one code per geometry is needed")
    geoms = [_as_geometry(g) for g in geometries]
    if not rook and all(g.geom_type in ("Polygon", "MultiPolygon") for g in geoms):
        return _from_rows("queen", [str(c) for c in codes], _shared_vertices(geoms))
    from libpysal.weights import Queen, Rook

    builder = Rook if rook else Queen
    # libpysal's vertex/edge hashing works on plain shapely geometries; no geopandas involved.
    w = builder.from_iterable(geoms, ids=list(range(len(geoms))), silence_warnings=True)
    rows = [list(w.neighbors[i]) for i in range(len(geoms))]
    return _from_rows("rook" if rook else "queen", [str(c) for c in codes], rows)


def queen_weights(geometries: Sequence[BaseGeometry | Mapping[str, Any]], codes: Sequence[str]) -> SpatialWeights:
    """Queen contiguity: polygons sharing at least one vertex are neighbours (libpysal's definition).

    Geometries are shapely objects or GeoJSON geometry/Feature dicts. Polygons must share *exact*
    vertices: digitised boundaries with slivers give islands, which the island policy handles.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = [box(x, y, x + 1, y + 1) for y in range(2) for x in range(2)]
    >>> w = queen_weights(cells, ["sw", "se", "nw", "ne"])
    >>> w.neighbors("sw"), w.n_links
    (('se', 'nw', 'ne'), 12)
    """
    return _contiguity(geometries, codes, rook=False)


def rook_weights(geometries: Sequence[BaseGeometry | Mapping[str, Any]], codes: Sequence[str]) -> SpatialWeights:
    """Rook contiguity: polygons sharing an edge are neighbours."""
    return _contiguity(geometries, codes, rook=True)


def h3_weights(cells: Sequence[str | int], k: int = 1, *, rings: dict | None = None) -> SpatialWeights:
    """H3 k-ring adjacency: cells within grid distance ``k`` of each other (among the given cells).

    Cells are H3 strings (or integers); codes are the cell strings. Cells absent from the list are
    not neighbours, so a sparse set of cells can produce islands. ``rings`` (a dict the caller keeps)
    memoises each cell's disk across calls on overlapping sets of cells.

    Examples
    --------
    >>> import h3
    >>> centre = h3.latlng_to_cell(-26.2, 28.04, 9)
    >>> cells = sorted(h3.grid_disk(centre, 2))
    >>> w = h3_weights(cells, k=1)
    >>> w.name, w.n, int(w.cardinalities.max())
    ('h3-k1', 19, 6)
    >>> set(w.neighbors(centre)) == set(h3.grid_disk(centre, 1)) - {centre}
    True
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    codes = [h3.int_to_str(c) if isinstance(c, int | np.integer) else str(c) for c in cells]
    pos = {c: i for i, c in enumerate(codes)}
    if len(pos) != len(codes):
        raise ValueError("duplicated h3 cells")
    rings = {} if rings is None else rings  # (cell, k) → its disk; a caller's dict serves several calls
    rows = []
    for c in codes:
        disk = rings.get((c, k))
        if disk is None:
            if not h3.is_valid_cell(c):
                raise ValueError(f"not an h3 cell: {c!r}")
            disk = rings[(c, k)] = h3.grid_disk(c, k)
        # Codes come out in grid_disk order; _from_rows sorts them by position.
        rows.append([pos[x] for x in disk if x in pos])
    return _from_rows(f"h3-k{k}", codes, rows)


def _unit_vectors(points: Sequence[Any]) -> np.ndarray:
    """(lon, lat) degrees or shapely Points -> 3-D unit vectors (chord distance is monotone in arc)."""
    xy = np.array([(p.x, p.y) if isinstance(p, BaseGeometry) else tuple(p) for p in points], dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError("points must be (lon, lat) pairs or shapely Points")
    if np.any(np.abs(xy[:, 1]) > 90) or np.any(np.abs(xy[:, 0]) > 180):
        raise ValueError("points must be WGS 84 longitude/latitude in degrees")
    lon, lat = np.radians(xy[:, 0]), np.radians(xy[:, 1])
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def knn_weights(points: Sequence[Any], codes: Sequence[str], k: int = 6) -> SpatialWeights:
    """k nearest neighbours by great-circle distance, for point units such as police stations.

    The relation is not symmetric (``j`` may be among ``i``'s nearest without the converse), as in
    libpysal's ``KNN``; no unit is an island when ``k >= 1``. Ties are broken by input order.

    Examples
    --------
    >>> pts = [(28.0, -26.0), (28.01, -26.0), (28.1, -26.0), (28.5, -26.0)]
    >>> knn_weights(pts, ["a", "b", "c", "d"], k=1).neighbors("c")
    ('b',)
    """
    if len(points) != len(codes):
        raise ValueError("one code per point is needed")
    if not 1 <= k < len(points):
        raise ValueError("k must be between 1 and the number of points - 1")
    xyz = _unit_vectors(points)
    _, idx = cKDTree(xyz).query(xyz, k=k + 1)
    rows = []
    for i, r in enumerate(np.atleast_2d(idx)):
        others = [j for j in r if j != i][:k]
        rows.append(others)
    return _from_rows(f"knn-{k}", [str(c) for c in codes], rows)


def distance_weights(points: Sequence[Any], codes: Sequence[str], threshold_km: float) -> SpatialWeights:
    """Distance band: units whose points lie within ``threshold_km`` great-circle kilometres.

    Examples
    --------
    >>> pts = [(28.0, -26.0), (28.01, -26.0), (28.5, -26.0)]
    >>> w = distance_weights(pts, ["a", "b", "c"], threshold_km=2)
    >>> w.name, w.neighbors("a"), w.islands
    ('distance-2km', ('b',), ('c',))
    """
    if len(points) != len(codes):
        raise ValueError("one code per point is needed")
    if threshold_km <= 0:
        raise ValueError("threshold_km must be positive")
    xyz = _unit_vectors(points)
    chord = 2 * math.sin(min(threshold_km / EARTH_RADIUS_KM, math.pi) / 2)
    pairs = cKDTree(xyz).query_ball_point(xyz, r=chord)
    return _from_rows(f"distance-{threshold_km:g}km", [str(c) for c in codes], pairs)
