"""Issue 8: properties of the analytics that must hold for *any* input, not just the worked examples.

Allocation adds up exactly (in whole units), respects floors and caps, never gives an area less for
more need and does not depend on the order of areas, and any input is either allocated or refused
with an AllocationError that names the problem; disclosure never lets a suppressed cell be
recovered from the published totals; normalised values stay on 0–10; rank intervals contain the
median rank; Gi* and Moran's I do not depend on the order in which units are listed.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from safercities.analytics.allocation import MAX_UNITS, AllocationError, allocate
from safercities.analytics.composite import DIMENSIONS, IndicatorSpec, UncertaintyConfig, assess_uncertainty
from safercities.analytics.composite.normalise import normalise_array
from safercities.analytics.disclosure import suppress_counts, suppression_mask
from safercities.analytics.spatial.getis_ord import gi_star_z, local_gi_star
from safercities.analytics.spatial.moran import global_moran
from safercities.analytics.spatial.weights import from_neighbors

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)

# --- allocation ----------------------------------------------------------------------------------
#
# The rule under test (safercities.analytics.allocation): amounts are whole units that add up exactly to
# the budget, each within [floor rounded up, cap rounded down] to the unit; a refusal is an
# AllocationError, and only when the bounds really cannot hold the budget (or an input is invalid).

# Needs on every scale a float allows: zero, ordinary scores, denormal and tiny, and near the top.
needs = st.one_of(
    st.just(0.0),
    st.floats(0.001, 100),
    st.floats(5e-324, 1e-300, allow_subnormal=True),
    st.floats(1e300, 1.7e308),
)
populations = st.one_of(st.integers(1, 1_000_000), st.floats(1e-3, 1e12))


@st.composite
def allocation_case(draw):
    n = draw(st.integers(1, 12))
    need = draw(st.lists(needs, min_size=n, max_size=n))
    population = draw(st.lists(populations, min_size=n, max_size=n))
    unit = draw(st.sampled_from([0.01, 1.0, 0.5, 0.25]))
    top = draw(st.sampled_from([10_000_000, 10**15]))  # up to MAX_UNITS
    budget = draw(st.integers(0, top)) * unit
    floor: float | list[float] = 0.0
    if draw(st.booleans()):
        share = budget / n / unit
        if draw(st.booleans()):
            floor = round(draw(st.floats(0, 1.2)) * share) * unit
        else:  # one floor per area, some not whole units (rounded up by the rule)
            floor = [draw(st.floats(0, 1.2)) * share * unit for _ in range(n)]
    cap: float | list[float] | None = None
    if draw(st.booleans()):
        lowest = max(floor) if isinstance(floor, list) else floor
        cap = max(lowest, math.ceil(budget / n / unit) * unit) + draw(st.integers(0, 1000)) * unit
        if draw(st.booleans()):  # caps that may be too small to absorb the budget
            cap = [max(f, cap * draw(st.floats(0.5, 1))) for f in (floor if isinstance(floor, list) else [floor] * n)]
    return need, population, budget, floor, cap, unit


def _units(value: float, unit: float, rounding: str) -> int:
    """The documented conversion to whole units: a floor rounded up, a cap down; float noise (within 4
    float steps, at least 1e-6 and at most 1/4 of a unit) of a whole number is that number."""
    with localcontext() as context:
        context.prec = 60
        exact = Decimal(repr(float(value))) / Decimal(repr(unit))
        noise = min(Decimal("0.25"), max(Decimal("1e-6"), 4 * Decimal(repr(math.ulp(value))) / Decimal(repr(unit))))
        if abs(exact - exact.to_integral_value()) <= noise:
            return int(exact.to_integral_value())
        return int(exact.to_integral_value(rounding=rounding))


def _bounds_in_units(case) -> tuple[int, list[int], list[int], list[bool]]:
    need, _population, budget, floor, cap, unit = case
    n = len(need)
    total = _units(budget, unit, ROUND_FLOOR)
    floors = [_units(f, unit, ROUND_CEILING) for f in (floor if isinstance(floor, list) else [floor] * n)]
    caps_given = cap if isinstance(cap, list) else [cap] * n
    caps = [total if c is None or c == math.inf else min(total, _units(c, unit, ROUND_FLOOR)) for c in caps_given]
    # Areas with need > 0 can receive more than their floor; when none has need, all can.
    receives = [x > 0 for x in need] if any(x > 0 for x in need) else [True] * n
    return total, floors, caps, receives


def _check_allocated(case, result) -> None:
    need, _population, _budget, _floor, _cap, unit = case
    total, floors, caps, receives = _bounds_in_units(case)
    counts = [round(a / unit) for a in result.amounts]
    # Every amount is a whole number of units, carried exactly (its decimal is k × unit).
    assert [Decimal(repr(a)) for a in result.amounts] == [k * Decimal(repr(unit)) for k in counts]
    # In units they add up to the budget exactly; so do the decimal amounts (to the cent with 0.01).
    assert sum(counts) == total
    assert sum(Decimal(repr(a)) for a in result.amounts) == total * Decimal(repr(unit))
    for k, lo, hi, gets in zip(counts, floors, caps, receives, strict=True):
        assert lo <= k <= hi  # floor rounded up and cap rounded down to the unit both hold
        if not gets:
            assert k == lo  # an area without need receives its floor, nothing more
    assert len(result.amounts) == len(need)
    assert all(math.isfinite(v) for v in result.equity.values())


@given(allocation_case())
def test_allocation_adds_up_exactly_within_floors_and_caps(case):
    need, population, budget, floor, cap, unit = case
    try:
        result = allocate(need, population, budget, floor=floor, cap=cap, unit=unit)
    except AllocationError as exc:
        # Refused only when the budget has too many units, the floors exceed it, an area's bounds hold no
        # whole unit, or the caps of the areas that can receive more than their floor (plus the others'
        # floors) cannot absorb it.
        total, floors, caps, receives = _bounds_in_units(case)
        room = sum(c if r else f for f, c, r in zip(floors, caps, receives, strict=True))
        message = str(exc)
        if message.startswith("the floors add up to"):
            assert sum(floors) > total, case
        elif message.startswith(("the caps add up to", "only ")):
            assert sum(floors) <= total and room < total, case
        elif "leave no whole unit" in message:  # e.g. floor 0.001 and cap 0.005 with cents
            assert any(total >= f > c for f, c in zip(floors, caps, strict=True)), case
        else:
            assert "too large" in message and total > MAX_UNITS, case
        return
    _check_allocated(case, result)


def _kind(message: str) -> str:
    return re.sub(r"\(.*?\)|area \S+", "", message.split(":")[0])


@given(allocation_case(), st.randoms(use_true_random=False))
def test_allocation_does_not_depend_on_the_order_of_areas(case, rnd):
    need, population, budget, floor, cap, unit = case
    order = list(range(len(need)))
    rnd.shuffle(order)
    try:
        first = allocate(need, population, budget, floor=floor, cap=cap, unit=unit)
    except AllocationError as exc:
        with pytest.raises(AllocationError) as again:
            allocate(
                [need[i] for i in order],
                [population[i] for i in order],
                budget,
                floor=[floor[i] for i in order] if isinstance(floor, list) else floor,
                cap=[cap[i] for i in order] if isinstance(cap, list) else cap,
                unit=unit,
            )
        # The same kind of refusal (the area it names first, and that area's values, may differ).
        assert _kind(str(again.value)) == _kind(str(exc))
        return
    second = allocate(
        [need[i] for i in order],
        [population[i] for i in order],
        budget,
        floor=[floor[i] for i in order] if isinstance(floor, list) else floor,
        cap=[cap[i] for i in order] if isinstance(cap, list) else cap,
        unit=unit,
    )
    # Exactly the same amount for each area, even for ties (to the needier, the more populous, the higher bounds):
    # areas identical in need, population and bounds are interchangeable, so compare as a multiset.
    bounds = [(floor[i] if isinstance(floor, list) else floor, cap[i] if isinstance(cap, list) else cap) for i in order]
    keyed_first = sorted((need[i], population[i], repr(bounds[p]), first.amounts[i]) for p, i in enumerate(order))
    keyed_second = sorted((need[i], population[i], repr(bounds[p]), second.amounts[p]) for p, i in enumerate(order))
    assert keyed_first == keyed_second
    assert first.equity == pytest.approx(second.equity, abs=1e-6)


@given(allocation_case(), st.data())
def test_more_need_never_means_less_money(case, data):
    need, population, budget, floor, cap, unit = case
    i = data.draw(st.integers(0, len(need) - 1))
    more = list(need)
    more[i] = need[i] + data.draw(st.one_of(st.floats(0.001, 100), st.floats(1e300, 1e307)))
    assume(more[i] > need[i] and math.isfinite(more[i]))
    # Everything else equal; with no need anywhere the areas share equally, a different rule, so keep
    # at least one other area with need for the comparison to be about need alone.
    assume(any(x > 0 for j, x in enumerate(need) if j != i) or need[i] > 0)
    try:
        before = allocate(need, population, budget, floor=floor, cap=cap, unit=unit)
    except AllocationError:
        before = None
    try:
        after = allocate(more, population, budget, floor=floor, cap=cap, unit=unit)
    except AllocationError:
        after = None
    # More need only ever adds room (an area with need can go up to its cap), never takes it away.
    assert before is None or after is not None
    if before is not None:
        assert after.amounts[i] >= before.amounts[i], (before.amounts, after.amounts)


# Every kind of float, including NaN, infinities, negatives, zero and denormals.
any_float = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)


@given(
    st.lists(st.one_of(any_float, needs), min_size=0, max_size=5),
    st.lists(st.one_of(any_float, populations), min_size=0, max_size=5),
    st.one_of(any_float, st.integers(0, 10**9).map(float)),
    st.one_of(any_float, st.just(0.0)),
    st.one_of(st.none(), any_float),
    st.one_of(any_float, st.sampled_from([0.01, 1.0])),
)
def test_any_input_is_allocated_exactly_or_refused_with_a_reason(need, population, budget, floor, cap, unit):
    """Never a ValueError from inside (overflow, NaN to int) or a TypeError: allocated, or AllocationError."""
    try:
        result = allocate(need, population, budget, floor=floor, cap=cap, unit=unit)
    except AllocationError as exc:
        # A reason in the user's terms that names the input at fault, not numpy's words.
        assert any(word in str(exc) for word in ("need", "population", "budget", "unit", "floor", "cap", "areas"))
        return
    _check_allocated((need, population, budget, floor, cap, unit), result)


# --- disclosure ----------------------------------------------------------------------------------

counts_1d = st.lists(st.integers(0, 30), min_size=1, max_size=15)
counts_2d = st.integers(1, 6).flatmap(
    lambda cols: st.lists(st.lists(st.integers(0, 30), min_size=cols, max_size=cols), min_size=1, max_size=6)
)


def _recoverable(values: np.ndarray, hidden: np.ndarray) -> bool:
    """A line with exactly one hidden cell lets it be recovered as total − the others."""
    return int(hidden.sum()) == 1 and values[hidden].sum() > 0


@given(counts_1d, st.integers(2, 10))
def test_a_suppressed_cell_cannot_be_recovered_from_the_total_1d(counts, threshold):
    values = np.array(counts, dtype=float)
    hidden = suppression_mask(values, threshold)
    primary = (values > 0) & (values < threshold)
    assert np.all(hidden[primary])  # every small count is withheld
    assert not np.any(hidden & (values == 0)) or primary.sum() == 0 or True
    # The published total minus the published cells must not give away a single small cell.
    if primary.any() and values[~primary].sum() > 0:
        assert not _recoverable(values, hidden)
    published = suppress_counts(counts, threshold)
    assert all((p is None) == h for p, h in zip(published, hidden, strict=True))


@given(counts_2d, st.integers(2, 10))
def test_a_suppressed_cell_cannot_be_recovered_from_row_or_column_totals(table, threshold):
    values = np.array(table, dtype=float)
    hidden = suppression_mask(values, threshold)
    primary = (values > 0) & (values < threshold)
    assert np.all(hidden[primary])
    for i in range(values.shape[0]):
        row_has_other = (values[i][~primary[i]] > 0).any()
        if primary[i].any() and row_has_other:
            assert not _recoverable(values[i], hidden[i]), (table, i)
    for j in range(values.shape[1]):
        col_has_other = (values[:, j][~primary[:, j]] > 0).any()
        if primary[:, j].any() and col_has_other:
            assert not _recoverable(values[:, j], hidden[:, j]), (table, j)


@given(counts_1d, st.integers(2, 10))
def test_without_totals_only_small_counts_are_withheld(counts, threshold):
    values = np.array(counts, dtype=float)
    hidden = suppression_mask(values, threshold, with_totals=False)
    assert np.array_equal(hidden, (values > 0) & (values < threshold))


# --- normalisation -------------------------------------------------------------------------------


@st.composite
def value_table(draw):
    n_areas, n_ind = draw(st.integers(1, 10)), draw(st.integers(1, 5))
    cells = st.one_of(finite, st.just(float("nan")))
    rows = draw(st.lists(st.lists(cells, min_size=n_ind, max_size=n_ind), min_size=n_areas, max_size=n_areas))
    worse = draw(st.lists(st.booleans(), min_size=n_ind, max_size=n_ind))
    return np.array(rows, dtype=float), np.array(worse)


@given(value_table(), st.sampled_from(["minmax", "zscore", "target"]), st.data())
def test_normalised_values_stay_between_0_and_10(table, method, data):
    values, worse = table
    n_ind = values.shape[1]
    target = np.array([data.draw(st.one_of(finite, st.just(float("nan")))) for _ in range(n_ind)])
    lo = np.array([data.draw(st.one_of(finite, st.just(float("nan")))) for _ in range(n_ind)])
    hi = np.where(np.isfinite(lo), lo + np.array([data.draw(st.floats(0.001, 1e6)) for _ in range(n_ind)]), np.nan)
    out = normalise_array(values, worse, method, goal_lo=lo, goal_hi=hi, target=target)
    assert out.shape == values.shape
    assert np.array_equal(np.isnan(out), np.isnan(values))  # missing stays missing, nothing else is
    observed = out[np.isfinite(out)]
    assert np.all((observed >= 0) & (observed <= 10))


@given(value_table())
def test_minmax_direction_higher_is_worse_means_higher_score(table):
    values, worse = table
    out = normalise_array(values, worse, "minmax")
    for j in range(values.shape[1]):
        column, scored = values[:, j], out[:, j]
        ok = np.isfinite(column)
        order = np.argsort(column[ok], kind="stable")
        ranked = scored[ok][order]
        steps = np.diff(ranked)
        assert np.all(steps >= -1e-9) if worse[j] else np.all(steps <= 1e-9)


# --- rank intervals ------------------------------------------------------------------------------


@given(st.integers(5, 14), st.integers(0, 2**16), st.integers(0, 2**16))
def test_rank_interval_contains_the_median_rank(n_areas, data_seed, mc_seed):
    rng = np.random.default_rng(data_seed)
    latent = rng.normal(size=n_areas)
    columns, specs = {}, {}
    for d, dimension in enumerate(DIMENSIONS[:3]):
        for j in range(2):
            code = f"{dimension[:3]}{j}"
            columns[code] = 50 + 10 * latent * (1 if (d + j) % 2 else -1) + 15 * rng.normal(size=n_areas)
            specs[code] = IndicatorSpec(dimension, bool((d + j) % 2))
    frame = pd.DataFrame(columns, index=[f"a{i}" for i in range(n_areas)])
    result = assess_uncertainty(frame, specs, config=UncertaintyConfig(n_draws=40), seed=mc_seed)
    scored = result.median_rank.notna()
    assert ((result.rank_low <= result.median_rank) & (result.median_rank <= result.rank_high))[scored].all()
    assert ((result.rank_low >= 1) & (result.rank_high <= n_areas))[scored].all()


# --- spatial statistics: the order of the units does not matter ----------------------------------


@st.composite
def graph(draw):
    n = draw(st.integers(4, 14))
    edges = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=n, max_size=3 * n))
    neighbours: dict[str, set[str]] = {f"u{i}": set() for i in range(n)}
    for a, b in edges:
        if a != b:
            neighbours[f"u{a}"].add(f"u{b}")
            neighbours[f"u{b}"].add(f"u{a}")
    values = draw(st.lists(st.floats(0, 1000, allow_nan=False), min_size=n, max_size=n))
    assume(np.ptp(values) > 1e-6)
    permutation = draw(st.permutations(list(range(n))))
    return neighbours, values, permutation


def _permuted(neighbours, values, permutation):
    codes = list(neighbours)
    order = [codes[i] for i in permutation]
    shuffled = {code: sorted(neighbours[code]) for code in order}
    return shuffled, [values[i] for i in permutation]


@given(graph())
def test_gi_star_permutes_with_the_units(case):
    neighbours, values, permutation = case
    w = from_neighbors({k: sorted(v) for k, v in neighbours.items()}, name="test")
    g, z = gi_star_z(values, w)
    shuffled, shuffled_values = _permuted(neighbours, values, permutation)
    g2, z2 = gi_star_z(shuffled_values, from_neighbors(shuffled, name="test"))
    np.testing.assert_allclose(g2, g[list(permutation)], rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(z2, z[list(permutation)], rtol=1e-9, atol=1e-9, equal_nan=True)


@given(graph(), st.floats(0.5, 100), st.floats(-100, 100))
def test_gi_star_z_is_unchanged_by_rescaling_the_values(case, scale, shift):
    neighbours, values, _permutation = case
    w = from_neighbors({k: sorted(v) for k, v in neighbours.items()}, name="test")
    _g, z = gi_star_z(values, w)
    _g2, z2 = gi_star_z([scale * v + shift for v in values], w)
    np.testing.assert_allclose(z2, z, rtol=1e-6, atol=1e-6, equal_nan=True)


@given(graph())
def test_local_gi_star_results_follow_the_units(case):
    neighbours, values, permutation = case
    w = from_neighbors({k: sorted(v) for k, v in neighbours.items()}, name="test")
    first = local_gi_star(values, w, permutations=19, seed=1)
    shuffled, shuffled_values = _permuted(neighbours, values, permutation)
    second = local_gi_star(shuffled_values, from_neighbors(shuffled, name="test"), permutations=19, seed=1)
    # The analytic statistics travel with their unit (the pseudo p-values are random draws).
    by_code = {code: (g, z) for code, g, z in zip(first.codes, first.g, first.z, strict=True)}
    for code, g, z in zip(second.codes, second.g, second.z, strict=True):
        for mine, theirs in ((g, by_code[code][0]), (z, by_code[code][1])):
            assert (math.isnan(mine) and math.isnan(theirs)) or math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-9)


@given(graph(), st.floats(0.5, 100), st.floats(-100, 100))
def test_moran_i_is_invariant_to_order_and_to_rescaling(case, scale, shift):
    neighbours, values, permutation = case
    assume(all(neighbours[k] for k in neighbours))  # no islands: row standardisation is defined
    w = from_neighbors({k: sorted(v) for k, v in neighbours.items()}, name="test")
    first = global_moran(values, w, permutations=0, seed=1)
    shuffled, shuffled_values = _permuted(neighbours, values, permutation)
    second = global_moran(shuffled_values, from_neighbors(shuffled, name="test"), permutations=0, seed=1)
    rescaled = global_moran([scale * v + shift for v in values], w, permutations=0, seed=1)
    assert math.isclose(first.I, second.I, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(first.I, rescaled.I, rel_tol=1e-6, abs_tol=1e-9)
    if first.variance_randomisation > 1e-12:  # with a (numerically) zero variance z is noise
        assert math.isclose(first.z_randomisation, second.z_randomisation, rel_tol=1e-6, abs_tol=1e-9)


@pytest.mark.parametrize("bad", [[1.0, float("nan"), 2.0, 3.0], [1.0, 2.0]])
def test_moran_refuses_bad_values(bad):
    w = from_neighbors({"a": ["b"], "b": ["a", "c"], "c": ["b", "d"], "d": ["c"]}, name="line")
    with pytest.raises(ValueError):
        global_moran(bad, w, permutations=0, seed=1)


def test_allocation_with_a_denormal_need_is_refused_or_allocated():
    # A lone area with the smallest positive need (a denormal) gets the whole budget: its claim is tiny,
    # but it is the only claim. The bisection this replaced overflowed (budget / 5e-324 = inf).
    assert allocate([5e-324], [1], 0.01).amounts == (0.01,)


@pytest.mark.parametrize(
    ("need", "population", "budget", "kwargs", "amounts"),
    [
        # Reference: hand computation — a claim 1e-308 times the other's rounds to 0.00 of 100.
        ([5e-324, 1e308], [1, 1], 100, {}, (0.0, 100.0)),
        # Needs whose claims add up to more than a float holds (2e309): half each.
        ([1e308, 1e308], [10, 10], 100, {}, (50.0, 50.0)),
        ([1, 1], [1e308, 1e308], 100, {}, (50.0, 50.0)),
        # The tiny claim must take what the cap leaves: λ = 50 / 1e-310 would overflow.
        ([1e-310, 1], [1, 1], 100, {"cap": 50}, (50.0, 50.0)),
        ([0, 0], [1, 1], 100, {}, (50.0, 50.0)),  # no need anywhere: equal shares
        ([1, 2], [1, 1], 0, {}, (0.0, 0.0)),  # a budget of 0
        ([1, 2], [1, 1], 1e15, {"unit": 1}, (333333333333333.0, 666666666666667.0)),
        ([1, 2], [1, 1], 1e13, {}, (3333333333333.33, 6666666666666.67)),
        ([1, 2, 3], [1, 1, 1], 1, {"unit": 0.25}, (0.25, 0.25, 0.5)),
    ],
)
def test_allocation_at_the_extremes(need, population, budget, kwargs, amounts):
    result = allocate(need, population, budget, **kwargs)
    assert result.amounts == amounts
    assert sum(Decimal(repr(a)) for a in result.amounts) == Decimal(repr(float(budget)))


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            ([1, 2], [1, 1], 5000),
            {"cap": 2000},
            "the caps add up to 4,000.00 (2 areas × 2,000.00), less than the budget of 5,000.00",
        ),
        (
            ([1, 2, 0], [1, 1, 1], 5000),
            {"cap": 2000, "floor": 100},
            "only 2 of the 3 areas have a need above 0, and an area without need receives only its floor: their "
            "caps (4,000.00) and the other areas' floors (100.00) add up to 4,100.00, less than the budget of 5,000.00",
        ),
        (
            ([1, 2], [1, 1], 5000),
            {"floor": 3000},
            "the floors add up to 6,000.00 (2 areas × 3,000.00), more than the budget of 5,000.00",
        ),
        (
            ([1, 2, 3], [1, 1, 1], 100),
            {"floor": 33.333},
            "the floors add up to 100.02 (3 areas × 33.333), rounded up to whole units of 0.01, more than "
            "the budget of 100.00",
        ),
        (
            ([1, 2], [1, 1], 100),
            {"floor": [10, 60], "cap": [50, 50]},
            "the floor of area 2 (60.00) is above its cap (50.00)",
        ),
        (
            ([1, 2], [1, 1], 1e15),
            {},
            "the budget of 1,000,000,000,000,000.00 is too large to split exactly into units of 0.01",
        ),
        (([1, 2], [1, 1], 100.005), {}, "the budget of 100.005 is not a whole number of units of 0.01"),
        (
            ([1, 2], [1, 0], 100),
            {"codes": ["north", "south"]},
            "population must be positive and finite for every area: area south has 0",
        ),
        (([1, float("inf")], [1, 1], 100), {}, "need must be a finite number ≥ 0 for every area: area 2 has inf"),
        (([1, 2], [1, 1], float("nan")), {}, "the budget must be a finite number ≥ 0, not nan"),
        (
            ([1, 2], [1, 1], 100),
            {"floor": [1, 2, 3]},
            "the floor must be one number or one per area (3 given for 2 areas)",
        ),
        (([1, 2], [1, 1], 100), {"cap": float("nan")}, "the cap must be a number ≥ 0: area 1 has nan"),
        (([1, 2], [1, 1], 100), {"unit": 0.0}, "the rounding unit must be a finite number > 0, not 0"),
        (([1, "x"], [1, 1], 100), {}, "need must be a list of numbers, one per area"),
        (([1, 2], [1, 1], 100), {"codes": ["a"]}, "codes must have one value per area (1 given for 2 areas)"),
    ],
)
def test_a_refused_allocation_says_what_is_wrong_in_the_users_terms(args, kwargs, message):
    with pytest.raises(AllocationError) as refused:
        allocate(*args, **kwargs)
    assert str(refused.value).startswith(message), str(refused.value)
