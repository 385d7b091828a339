"""Benchmark: batched vs single-series improved Farrington on a city's worth of monthly count series.

A 2,000-area city with 12 incident indicators: 24,000 monthly series of 60 months, the newest 3 months
evaluated (72,000 evaluations). Each series is negative binomial (φ drawn from 1, 1.5, 3) with a mean
level drawn log-uniformly between ``--min-mean`` and 60 per month, a seasonal cycle of random amplitude
and phase, a trend in one series of four and, in one series of twenty, an outbreak in the last 6 months.
With 60 months, ``b = 4`` years of reference values are available (what
``safercities.monitoring.alert_results.history_years`` gives the platform's compute).

Reported: the single-series cost per evaluation (on ``--sample`` series), the full batched wall time,
how many evaluations the batch handed back to the single-series method, and a check that the batched
results equal the single-series ones on the sample.

Run:  .venv/bin/python bench/bench_early_warning_batch.py [--series 24000] [--months 60] [--sample 300]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd

import safercities.analytics.early_warning.batch as batch_module
from safercities.analytics.early_warning import Farrington, farrington_batch

NUMBERS = ("observed", "expected", "upper", "upper_amber", "p_value", "phi", "trend_coefficient")


def simulate(n_series: int, months: int, min_mean: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    level = np.exp(rng.uniform(math.log(min_mean), math.log(60), size=n_series))[:, None]
    amplitude = rng.uniform(0, 0.5, size=n_series)[:, None]
    phase = rng.uniform(0, 2 * np.pi, size=n_series)[:, None]
    trend = np.where(rng.random(n_series) < 0.25, rng.normal(0, 0.01, n_series), 0.0)[:, None]
    mu = level * np.exp(amplitude * np.sin(2 * np.pi * t / 12 + phase) + trend * (t - months))
    phi = rng.choice([1.0, 1.5, 3.0], size=n_series)[:, None]
    poisson = rng.poisson(mu)
    nb = rng.negative_binomial(mu / np.maximum(phi - 1, 1e-9), 1 / phi)
    y = np.where(phi == 1.0, poisson, nb).astype(float)
    outbreak = rng.random(n_series) < 0.05
    start = rng.integers(months - 6, months, size=n_series)
    for i in np.flatnonzero(outbreak):
        y[i, start[i] :] += rng.poisson(3 * np.sqrt(phi[i, 0] * mu[i, start[i]]) + 2, size=months - start[i])
    columns = pd.period_range("2020-01", periods=months, freq="M").strftime("%Y-%m")
    return pd.DataFrame(y, columns=columns, index=[f"s{i}" for i in range(n_series)])


def same(a, b) -> bool:
    for field in a.__dataclass_fields__:
        x, y = getattr(a, field), getattr(b, field)
        if field in NUMBERS and x is not None and y is not None:
            if not math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-12):
                return False
        elif x != y:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=24_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--last", type=int, default=3)
    parser.add_argument("--b", type=int, default=4)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--min-mean", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    counts = simulate(args.series, args.months, args.min_mean, args.seed)
    sample = counts.iloc[:: max(1, args.series // args.sample)].iloc[: args.sample]

    began = time.perf_counter()
    single = [Farrington("month", b=args.b).fit(row).detect(last=args.last) for _, row in sample.iterrows()]
    single_s = time.perf_counter() - began
    per_eval = single_s / (len(sample) * args.last)

    handed_back = 0
    original = batch_module._single

    def counting(*a, **k):  # noqa: ANN002, ANN003 — a spy on the fallback, for the report only
        nonlocal handed_back
        handed_back += 1
        return original(*a, **k)

    batch_module._single = counting
    try:
        began = time.perf_counter()
        results = farrington_batch(counts, "month", last=args.last, b=args.b)
        batch_s = time.perf_counter() - began
    finally:
        batch_module._single = original
    positions = [counts.index.get_loc(key) for key in sample.index]
    agree = all(
        same(a, b)
        for s, i in zip(single, positions, strict=True)
        for a, b in zip(s.detections, results[i].detections, strict=True)
    )
    evaluations = args.series * args.last
    alarms = sum(d.alarm for r in results for d in r.detections)
    print(f"{args.series} monthly series × {args.months} months, last {args.last} (b = {args.b}, seed {args.seed})")
    print(f"single-series Farrington: {per_eval * 1e3:.1f} ms per evaluation (on {len(sample)} series)")
    print(f"  → all {evaluations} evaluations one by one: ≈ {per_eval * evaluations:.0f} s (estimated)")
    print(f"batched: {batch_s:.1f} s for {evaluations} evaluations ({batch_s / evaluations * 1e6:.0f} µs each)")
    print(f"  handed back to the single-series method: {handed_back} ({handed_back / evaluations:.2%})")
    print(f"  speed-up ≈ {per_eval * evaluations / batch_s:.0f}×; red alarms {alarms}")
    print(f"batched == single-series on the {len(sample)} sampled series: {agree}")


if __name__ == "__main__":
    main()
