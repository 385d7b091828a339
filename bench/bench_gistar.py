"""Benchmark: Gi* with 999 conditional permutations on h3 cells — our kernel vs esda.G_Local.

Usage (from the repository root)::

    .venv/bin/python bench/bench_gistar.py                    # 50,000 cells, esda at 10k and 20k
    .venv/bin/python bench/bench_gistar.py --cells 50000 --esda-sizes 10000 20000 50000

Values: Poisson counts (mean 2) with a planted cluster (mean 8) within 12 rings of one cell, on a
contiguous disk of resolution-9 cells around Johannesburg; weights: h3 k=1 rings, binary, self
included (Gi*). esda gets the same weights as a libpysal W with ``transform="B", star=True``,
``permutations=999``, ``n_jobs=1``, ``keep_simulations=False``. The figures printed are the ones
quoted in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings

import esda
import h3
import numpy as np

from safercities.analytics.spatial import h3_weights, local_gi_star


def cells_disk(n: int, res: int = 9) -> list[str]:
    centre = h3.latlng_to_cell(-26.2041, 28.0473, res)
    out: list[str] = []
    k = 0
    while len(out) < n:
        out.extend(sorted(h3.grid_ring(centre, k)))
        k += 1
    return out[:n]


def values_for(cells: list[str], seed: int = 0) -> tuple[np.ndarray, int]:
    """Poisson counts, mean 8 in the planted cluster and 2 elsewhere; also the cluster size."""
    rng = np.random.default_rng(seed)
    hot = set(h3.grid_disk(cells[len(cells) // 3], 12))
    lam = np.array([8.0 if c in hot else 2.0 for c in cells])
    return rng.poisson(lam).astype(float), int((lam > 2).sum())


def run_ours(n: int, permutations: int) -> dict:
    cells = cells_disk(n)
    y, cluster = values_for(cells)
    t0 = time.perf_counter()
    w = h3_weights(cells, k=1)
    t_w = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = local_gi_star(y, w, permutations=permutations, seed=1)
    t_gi = time.perf_counter() - t0
    hot = sum(h == "hot" for h in res.hotspot)
    return {"n": n, "weights_s": t_w, "gistar_s": t_gi, "hot": hot, "cluster": cluster, "w": w, "y": y, "res": res}


def run_esda(w, y, permutations: int) -> tuple[float, object]:
    lw = w.to_w()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(y, lw, transform="B", star=True, permutations=permutations, seed=1, n_jobs=1,
                         keep_simulations=False)  # fmt: skip
    return time.perf_counter() - t0, g


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=50_000)
    ap.add_argument("--permutations", type=int, default=999)
    ap.add_argument("--esda-sizes", type=int, nargs="*", default=[10_000, 20_000])
    args = ap.parse_args()
    try:
        import numba  # noqa: F401

        jit = "numba"
    except ImportError:
        jit = "no numba (esda falls back to pure Python loops)"
    print(f"python {platform.python_version()}, numpy {np.__version__}, esda {esda.__version__}, {jit}, "
          f"{os.cpu_count()} cpus, OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")  # fmt: skip
    big = run_ours(args.cells, args.permutations)
    print(f"ours  n={big['n']:>6}: h3 k=1 weights {big['weights_s']:.2f} s, Gi* z + {args.permutations} "
          f"permutations + BH {big['gistar_s']:.2f} s, hot {big['hot']} (cluster {big['cluster']})")  # fmt: skip
    # With m units under BH at q = 0.05 a unit needs p <= k q / m; the smallest pseudo p is 2 / (R + 1),
    # so with R = 999 at least m / 50 units must reach it before any is flagged. More permutations:
    fine = 9_999
    t0 = time.perf_counter()
    res = local_gi_star(big["y"], big["w"], permutations=fine, seed=1)
    print(f"ours  n={big['n']:>6}: Gi* with {fine} permutations + BH {time.perf_counter() - t0:.2f} s, "
          f"hot cells {sum(h == 'hot' for h in res.hotspot)} (planted cluster: {big['cluster']} cells)")  # fmt: skip
    for n in args.esda_sizes:
        small = big if n == args.cells else run_ours(n, args.permutations)
        t, g = run_esda(small["w"], small["y"], args.permutations)
        zdiff = float(np.nanmax(np.abs(np.array(small["res"].z) - g.Zs)))
        directed = local_gi_star(small["y"], small["w"], permutations=args.permutations, seed=1, alternative="directed")
        agree = float(np.mean((np.array(directed.p_value) <= 0.05) == (g.p_sim <= 0.05)))
        print(f"esda  n={n:>6}: G_Local(star=True) {t:.2f} s; ours at this n {small['gistar_s']:.2f} s; "
              f"max |z diff| {zdiff:.1e}; directed p<=0.05 same call as esda p_sim: {agree:.1%} of cells")  # fmt: skip


if __name__ == "__main__":
    main()
