"""Allocation: exact totals, bounds, proportionality and the equity figures."""

import numpy as np
import pytest

from safercities.analytics.allocation import AllocationError, allocate, concentration_index, weighted_gini


def test_proportional_to_need_times_population():
    # Reference: hand computation — claims 1×100, 2×200, 3×300 = 100, 400, 900 of 1,400.
    result = allocate([1, 2, 3], [100, 200, 300], budget=1400, codes=["a", "b", "c"])
    assert result.amounts == (100.0, 400.0, 900.0)
    assert result.as_dict()["areas"][2] == {"code": "c", "need": 3.0, "population": 300, "amount": 900.0}


def test_floors_and_caps_bound_the_proportional_share():
    # Reference: hand computation — clip(λ·(1, 2, 4), 100, 350) adds up to 1000: c and b are capped
    # (4λ, 2λ > 350), so a = 1000 − 700 = 300 = λ.
    result = allocate([1, 2, 4], [1, 1, 1], budget=1000, floor=100, cap=350)
    assert result.amounts == (300.0, 350.0, 350.0)
    # A floor binds only for a small claim: 10:20:970 of 1000 with floor 100 gives 100, 100, 800.
    result = allocate([10, 20, 970], [1, 1, 1], budget=1000, floor=100)
    assert result.amounts == (100.0, 100.0, 800.0)


@pytest.mark.parametrize("seed", range(20))
def test_invariants_random(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 60))
    need = rng.uniform(0, 10, n)
    pop = rng.integers(100, 100_000, n)
    budget = float(rng.integers(10_000, 10_000_000))
    floor = float(rng.uniform(0, budget / n / 2))
    cap = float(rng.uniform(budget / n * 1.5, budget))
    result = allocate(need, pop, budget, floor=floor, cap=cap)
    amounts = np.array(result.amounts)
    assert round(amounts.sum(), 2) == round(budget, 2)  # adds up exactly (to the cent)
    assert np.all(amounts >= np.floor(floor * 100) / 100 - 1e-9)
    assert np.all(amounts <= cap + 1e-9)
    # Order independence: permuting the areas permutes the amounts.
    perm = rng.permutation(n)
    again = allocate(need[perm], pop[perm], budget, floor=floor, cap=cap)
    assert np.allclose(np.array(again.amounts), amounts[perm], atol=0.011)


def test_whole_units_and_exact_total():
    result = allocate([1, 1, 1], [1, 1, 1], budget=100, unit=1)
    assert sorted(result.amounts) == [33, 33, 34]
    assert sum(result.amounts) == 100


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"need": [1, 2], "population": [1, 1], "budget": 100, "floor": 60}, "floors add up"),
        ({"need": [1, 2], "population": [1, 1], "budget": 100, "cap": 40}, "caps add up"),
        ({"need": [1, -2], "population": [1, 1], "budget": 100}, "need must be"),
        ({"need": [1, float("nan")], "population": [1, 1], "budget": 100}, "need must be"),
        ({"need": [1, 2], "population": [1, 0], "budget": 100}, "population must be positive"),
        ({"need": [], "population": [], "budget": 100}, "no areas"),
        ({"need": [1], "population": [1, 2], "budget": 100}, "one value per area"),
    ],
)
def test_infeasible_inputs_are_explained(kwargs, message):
    need, population, budget = kwargs.pop("need"), kwargs.pop("population"), kwargs.pop("budget")
    with pytest.raises(AllocationError, match=message):
        allocate(need, population, budget, **kwargs)


def test_concentration_index_signs():
    # Reference: O'Donnell et al. (2008) ch. 8 — C > 0 when the variable concentrates among the
    # higher-ranked (here: needier) units, 0 when equal, and C of a variable proportional to the
    # rank's complement is negative.
    need = np.array([1.0, 2.0, 3.0, 4.0])
    pop = np.ones(4)
    assert concentration_index(np.array([1.0, 2.0, 3.0, 4.0]), need, pop) > 0
    assert concentration_index(np.array([4.0, 3.0, 2.0, 1.0]), need, pop) < 0
    assert concentration_index(np.ones(4), need, pop) == pytest.approx(0.0)
    # Hand value: y = rank order 1..4, fractional ranks 1/8, 3/8, 5/8, 7/8; mean 2.5;
    # cov = mean((y-2.5)(R-0.5)) = (1.5*0.375*2 + 0.5*0.125*2)/4 = 0.3125; C = 2*0.3125/2.5 = 0.25.
    assert concentration_index(np.array([1.0, 2.0, 3.0, 4.0]), need, pop) == pytest.approx(0.25)


def test_gini_known_values():
    # Reference: the Gini of (0, 0, 0, 1) with equal weights is 0.75; of equal values 0.
    assert weighted_gini(np.array([0.0, 0.0, 0.0, 1.0]), np.ones(4)) == pytest.approx(0.75)
    assert weighted_gini(np.array([5.0, 5.0]), np.array([1.0, 3.0])) == pytest.approx(0.0)


def test_need_drives_equity():
    need = [1, 5, 9]
    result = allocate(need, [1000, 1000, 1000], budget=9000)
    assert result.equity["concentration_index"] > 0
    assert result.equity["share_to_neediest_quintile"] == pytest.approx(9 / 15, abs=1e-6)
