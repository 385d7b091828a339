"""Benchmark: Composite Human Security Index with Monte Carlo uncertainty on 2,000 areas × 40 indicators.

Run: ``.venv/bin/python bench/bench_index.py [--areas 2000] [--indicators 40] [--draws 1000] [--repeat 3]``.
Prints the figures quoted in ``docs/benchmarks.md`` (section "Composite index"). The data are synthetic
(one latent deprivation factor plus noise, lognormal columns, 5 % missing cells), seeded, so every run
uses the same input.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from safercities.analytics.composite import (
    DIMENSIONS,
    IndexDefinition,
    IndicatorSpec,
    UncertaintyConfig,
    assess_uncertainty,
    compute_index,
)


def synthetic(n_areas: int, n_indicators: int, seed: int = 2024) -> tuple[pd.DataFrame, dict[str, IndicatorSpec]]:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=n_areas)
    columns, specs = {}, {}
    for j in range(n_indicators):
        code = f"ind{j:02d}"
        worse = j % 3 != 0
        signal = latent if worse else -latent
        values = 0.6 * signal + rng.normal(size=n_areas)
        if j % 5 == 0:  # a skewed, count-like indicator
            values = np.exp(values)
        values[rng.random(n_areas) < 0.05] = np.nan
        columns[code] = values
        specs[code] = IndicatorSpec(DIMENSIONS[j % len(DIMENSIONS)], higher_is_worse=worse)
    index = [f"A{i:05d}" for i in range(n_areas)]
    return pd.DataFrame(columns, index=index), specs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--areas", type=int, default=2000)
    parser.add_argument("--indicators", type=int, default=40)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data, specs = synthetic(args.areas, args.indicators)
    definition = IndexDefinition()
    config = UncertaintyConfig(n_draws=args.draws)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPU(s), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{args.areas} areas x {args.indicators} indicators, {args.draws} Monte Carlo draws")

    start = time.perf_counter()
    result = compute_index(data, specs, definition)
    nominal = time.perf_counter() - start
    print(f"nominal index: {nominal:.3f} s ({len(result.treated)} indicators treated for skewness)")

    times, cpu = [], []
    for run in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        uncertainty = assess_uncertainty(data, specs, definition, config, seed=run)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(
        f"uncertainty ({args.draws} draws): best {min(times):.2f} s, median {float(np.median(times)):.2f} s "
        f"over {args.repeat} runs (CPU time, all threads: best {min(cpu):.2f} s)"
    )
    width = (uncertainty.rank_high - uncertainty.rank_low).astype(float)
    print(f"median 90 % rank-interval width: {width.median():.0f} ranks")
    print("sensitivity (first-order share of the variance of the average rank shift):")
    for choice, row in uncertainty.sensitivity.iterrows():
        print(f"  {choice:<14} {row['first_order']:.3f}")


if __name__ == "__main__":
    main()
