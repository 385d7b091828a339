"""Benchmark: improved Farrington vs the naive mean + 2 SD rule, Noufaily et al. (2013) simulation design.

Each replicate is a 624-week (12-year) negative-binomial series from one of eight scenarios taken from
Noufaily et al. (2013, Table I), with four past outbreaks in weeks 313–575 (k drawn from 2, 3, 5, 10)
and one current outbreak starting in the last 49 weeks (k = 2, 3, 5 or 10, in rotation). An outbreak of
"size k" adds Poisson(k × baseline SD at its start) cases spread over weeks by a LogNormal(0, 0.5)
delay. Both detectors evaluate the last 49 weeks. Reported per scenario and method:

- FPR: share of evaluated weeks without outbreak cases that raised an alarm;
- POD k=…: share of current outbreaks with at least one alarm while their cases were present;
- delay: mean weeks from outbreak start to first alarm, over detected outbreaks.

Run:  .venv/bin/python bench/bench_early_warning.py [--replicates 60] [--workers 2] [--seed 2013]
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import Pool

import numpy as np

from safercities.analytics.early_warning import Farrington, NaiveMeanSD
from safercities.analytics.early_warning.simulate import (
    Scenario,
    baseline_mean,
    outbreak_cases,
    outbreak_size,
    simulate_baseline,
)

N_WEEKS, EVAL = 624, 49
KS = (2, 3, 5, 10)
# Parameter sets of Noufaily et al. (2013) Table I, with/without trend (beta) and seasonality (m).
SCENARIOS = (
    Scenario("A low, seasonal, φ 1.5", 0.1, 0.0, 0.6, 0.6, 1, 1.5),
    Scenario("B mid, flat, Poisson", 1.5, 0.0, 0.2, -0.4, 0, 1.0),
    Scenario("C mid, trend+season, Poisson", 1.5, 0.003, 0.2, -0.4, 1, 1.0),
    Scenario("D low, seasonal, φ 5", 0.5, 0.0, 0.5, 0.5, 1, 5.0),
    Scenario("E high, trend+season, φ 3", 2.5, 0.001, 1.0, 0.1, 1, 3.0),
    Scenario("F high, flat, φ 3", 2.5, 0.0, 1.0, 0.1, 0, 3.0),
    Scenario("G higher, trend+season, φ 1.1", 3.75, 0.001, 0.1, -0.1, 1, 1.1),
    Scenario("H highest, seasonal, φ 1.2", 5.0, 0.0, 0.05, 0.01, 1, 1.2),
)
METHODS = ("Farrington (red, α=0.01)", "Farrington (amber+red, α=0.05)", "mean + 2 SD (52 weeks)")


def replicate(args: tuple[int, int, int]) -> dict:
    seed, s_index, rep = args
    sc = SCENARIOS[s_index]
    rng = np.random.default_rng([seed, s_index, rep])
    mu = baseline_mean(N_WEEKS, theta=sc.theta, beta=sc.beta, gamma1=sc.gamma1, gamma2=sc.gamma2, m=sc.m)
    y = simulate_baseline(mu, phi=sc.phi, rng=rng)
    for start in rng.choice(np.arange(312, 575), size=4, replace=False):  # past outbreaks, weeks 313–575
        size = outbreak_size(float(rng.choice(KS)), mu[start], sc.phi, rng)
        y += outbreak_cases(N_WEEKS, int(start), size, rng=rng)
    k = KS[rep % len(KS)]
    start = int(rng.integers(N_WEEKS - EVAL, N_WEEKS))
    current = outbreak_cases(N_WEEKS, start, max(outbreak_size(k, mu[start], sc.phi, rng), 1), rng=rng)
    y += current
    far = Farrington("week").fit(y).detect(last=EVAL).detections
    naive = NaiveMeanSD("week").fit(y).detect(last=EVAL).detections
    alarms = {
        METHODS[0]: np.array([d.alarm for d in far]),
        METHODS[1]: np.array([d.severity is not None for d in far]),
        METHODS[2]: np.array([d.alarm for d in naive]),
    }
    return {
        "scenario": s_index,
        "k": k,
        "start": start - (N_WEEKS - EVAL),
        "in_outbreak": current[-EVAL:] > 0,
        "alarms": alarms,
        "mean": float(mu[-EVAL:].mean()),
    }


def summarise(results: list[dict]) -> list[list[str]]:
    rows = []
    for s_index, sc in enumerate(SCENARIOS):
        mine = [r for r in results if r["scenario"] == s_index]
        for method in METHODS:
            fp = sum(int(np.sum(r["alarms"][method] & ~r["in_outbreak"])) for r in mine)
            quiet = sum(int(np.sum(~r["in_outbreak"])) for r in mine)
            pod, delays = {}, []
            for k in KS:
                hits = [r for r in mine if r["k"] == k]
                found = [bool(np.any(r["alarms"][method] & r["in_outbreak"])) for r in hits]
                pod[k] = np.mean(found) if hits else float("nan")
            for r in mine:
                hit = np.flatnonzero(r["alarms"][method] & r["in_outbreak"])
                if len(hit):
                    delays.append(int(hit[0]) - r["start"])
            rows.append(
                [
                    sc.name,
                    f"{np.mean([r['mean'] for r in mine]):.1f}",
                    method,
                    f"{fp / quiet:.3f}",
                    *(f"{pod[k]:.2f}" for k in KS),
                    f"{np.mean(delays):.2f}" if delays else "–",
                ]
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2013)
    args = parser.parse_args()
    tasks = [(args.seed, s, r) for s in range(len(SCENARIOS)) for r in range(args.replicates)]
    began = time.perf_counter()
    with Pool(args.workers) as pool:
        results = pool.map(replicate, tasks, chunksize=4)
    elapsed = time.perf_counter() - began
    head = ["scenario", "mean count", "method", "FPR", *(f"POD k={k}" for k in KS), "delay (weeks)"]
    print(
        f"{args.replicates} replicates per scenario (seed {args.seed}), last {EVAL} of {N_WEEKS} weeks; "
        f"{elapsed:.0f} s with {args.workers} workers\n"
    )
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in summarise(results):
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
