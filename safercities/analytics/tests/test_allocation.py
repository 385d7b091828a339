"""Allocation: exact totals, bounds, proportionality and the equity figures."""

import pickle
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from safercities.analytics import allocation
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


# Every refusal path: its code, its figures as data, and its English sentence exactly as before (the
# command, the API's 422 body and the tests quote it). docs/methodology.md lists the codes.
NAN = float("nan")
REFUSALS = [
    (([1, "x"], [1, 1], 100), {}, "not_numbers", {"field": "need"}, "need must be a list of numbers, one per area"),
    (
        ([1], [[1]], 100),
        {},
        "not_numbers",
        {"field": "population"},
        "population must be a list of numbers, one per area",
    ),
    (
        ([1, 2], [1, 1], "abc"),
        {},
        "not_a_number",
        {"field": "budget", "value": "'abc'"},
        "the budget must be a number, not 'abc'",
    ),
    (
        ([1, 2], [1, 1], 100),
        {"unit": "u"},
        "not_a_number",
        {"field": "unit", "value": "'u'"},
        "the rounding unit must be a number, not 'u'",
    ),
    (
        ([1, 2], [1, 1], 100),
        {"floor": "x"},
        "bound_not_numbers",
        {"field": "floor"},
        "the floor must be a number or one number per area",
    ),
    (
        ([1, 2], [1, 1], 100),
        {"cap": [1, 2, 3]},
        "bound_length",
        {"field": "cap", "given": 3, "areas": 2},
        "the cap must be one number or one per area (3 given for 2 areas)",
    ),
    (([], [], 100), {}, "no_areas", {}, "there are no areas to allocate to"),
    (
        ([1], [1, 2], 100),
        {},
        "length_mismatch",
        {"needs": 1, "populations": 2},
        "need and population must have one value per area (1 needs, 2 populations)",
    ),
    (
        ([1, 2], [1, 1], 100),
        {"codes": ["a"]},
        "codes_length",
        {"given": 1, "areas": 2},
        "codes must have one value per area (1 given for 2 areas)",
    ),
    (
        ([1, -2], [1, 1], 100),
        {"codes": ["north", "south"]},
        "need_invalid",
        {"area": "south", "value": -2.0},
        "need must be a finite number ≥ 0 for every area: area south has -2",
    ),
    (
        ([1, 2], [1, 0], 100),
        {"codes": ["north", "south"]},
        "population_invalid",
        {"area": "south", "value": 0.0},
        "population must be positive and finite for every area: area south has 0",
    ),
    (([1, 2], [1, 1], -5), {}, "budget_invalid", {"value": -5.0}, "the budget must be a finite number ≥ 0, not -5"),
    (
        ([1, 2], [1, 1], 100),
        {"unit": 0},
        "unit_invalid",
        {"value": 0.0},
        "the rounding unit must be a finite number > 0, not 0",
    ),
    (
        ([1, 2], [1, 1], 100.005),
        {},
        "budget_not_whole",
        {"budget": Decimal("100.005"), "unit": Decimal("0.01")},
        "the budget of 100.005 is not a whole number of units of 0.01; round it to the unit",
    ),
    (
        ([1, 2], [1, 1], 1e15),
        {},
        "budget_too_large",
        {"budget": Decimal("1000000000000000.00"), "unit": Decimal("0.01"), "most": Decimal("10000000000000.00")},
        "the budget of 1,000,000,000,000,000.00 is too large to split exactly into units of 0.01: at most "
        "10,000,000,000,000.00 can be (10^15 units); use a larger unit",
    ),
    (
        ([1, 2], [1, 1], 100),
        {"floor": [0, -1]},
        "floor_invalid",
        {"area": "2", "value": -1.0},
        "the floor must be a finite number ≥ 0: area 2 has -1",
    ),
    (
        ([1, 2], [1, 1], 100),
        {"cap": [1, -3]},
        "cap_invalid",
        {"area": "2", "value": -3.0},
        "the cap must be a number ≥ 0: area 2 has -3",
    ),
    (
        ([1, 2], [1, 1], 100),
        {"floor": [10, 60], "cap": [50, 50]},
        "floor_above_cap",
        {"area": "2", "floor": Decimal("60.00"), "cap": Decimal("50.00")},
        "the floor of area 2 (60.00) is above its cap (50.00)",
    ),
    (
        ([1, 2], [1, 1], 100),
        {"floor": 0.005, "cap": 0.009},
        "no_unit_between",
        {"area": "1", "floor": Decimal("0.005"), "cap": Decimal("0.009"), "unit": Decimal("0.01")},
        "the floor (0.005) and cap (0.009) of area 1 leave no whole unit of 0.01 between them",
    ),
    (
        ([1, 2], [1, 1], 5000),
        {"floor": 3000},
        "floors_above_budget",
        {
            "total": Decimal("6000.00"),
            "budget": Decimal("5000.00"),
            "areas": 2,
            "each": Decimal("3000.00"),
            "rounded": False,
            "unit": Decimal("0.01"),
        },
        "the floors add up to 6,000.00 (2 areas × 3,000.00), more than the budget of 5,000.00",
    ),
    (
        ([1, 2, 3], [1, 1, 1], 100),
        {"floor": 33.333},
        "floors_above_budget",
        {
            "total": Decimal("100.02"),
            "budget": Decimal("100.00"),
            "areas": 3,
            "each": Decimal("33.333"),
            "rounded": True,
            "unit": Decimal("0.01"),
        },
        "the floors add up to 100.02 (3 areas × 33.333), rounded up to whole units of 0.01, more than the budget "
        "of 100.00",
    ),
    (
        ([1, 2], [1, 1], 5000),
        {"cap": 2000},
        "caps_below_budget",
        {
            "total": Decimal("4000.00"),
            "budget": Decimal("5000.00"),
            "areas": 2,
            "each": Decimal("2000.00"),
            "rounded": False,
            "unit": Decimal("0.01"),
        },
        "the caps add up to 4,000.00 (2 areas × 2,000.00), less than the budget of 5,000.00",
    ),
    (
        ([1, 2], [1, 1], 5000),
        {"cap": [1000, 2000.005]},
        "caps_below_budget",
        {
            "total": Decimal("3000.00"),
            "budget": Decimal("5000.00"),
            "areas": 2,
            "each": None,
            "rounded": True,
            "unit": Decimal("0.01"),
        },
        "the caps add up to 3,000.00, rounded down to whole units of 0.01, less than the budget of 5,000.00",
    ),
    (
        ([1, 2, 0], [1, 1, 1], 5000),
        {"cap": 2000, "floor": 100},
        "caps_and_floors_below_budget",
        {
            "receiving": 2,
            "areas": 3,
            "caps": Decimal("4000.00"),
            "floors": Decimal("100.00"),
            "total": Decimal("4100.00"),
            "budget": Decimal("5000.00"),
            "rounded": False,
            "unit": Decimal("0.01"),
        },
        "only 2 of the 3 areas have a need above 0, and an area without need receives only its floor: their caps "
        "(4,000.00) and the other areas' floors (100.00) add up to 4,100.00, less than the budget of 5,000.00",
    ),
]


@pytest.mark.parametrize(("args", "kwargs", "code", "params", "message"), REFUSALS)
def test_every_refusal_has_a_code_and_its_figures_as_data(args, kwargs, code, params, message):
    with pytest.raises(AllocationError) as refused:
        allocate(*args, **kwargs)
    error = refused.value
    assert str(error) == message
    assert (error.code, error.params) == (code, params)
    # Figures stay numbers (a translation formats them), never pre-formatted English text.
    assert not any(isinstance(error.params.get(k), str) for k in ("total", "budget", "each", "floor", "cap", "unit"))
    # A pickled error (e.g. from a worker process) keeps its code and figures.
    again = pickle.loads(pickle.dumps(error))
    assert (str(again), again.code, again.params) == (message, code, params)


def test_every_refusal_code_is_tested_and_documented():
    """Callers map codes to their own words: each code raised in the module has a case above and a doc entry."""
    raised = set(re.findall(r'code="([a-z_]+)"', Path(allocation.__file__).read_text(encoding="utf-8")))
    assert len(raised) == 20
    assert raised == {case[2] for case in REFUSALS}
    documented = Path(__file__).resolve().parents[3].joinpath("docs", "methodology.md").read_text(encoding="utf-8")
    missing = sorted(code for code in raised if f"`{code}`" not in documented)
    assert not missing, missing


def test_a_nan_cap_is_refused_with_its_code():
    with pytest.raises(AllocationError) as refused:
        allocate([1, 2], [1, 1], 100, cap=NAN)
    assert refused.value.code == "cap_invalid" and refused.value.params["area"] == "1"
    assert str(refused.value) == "the cap must be a number ≥ 0: area 1 has nan"
