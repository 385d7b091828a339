"""Peer-city distance: hand-computed values, missing features, invariants."""

from __future__ import annotations

import math

import pytest

from safercities.analytics.similarity import (
    DEFAULT_WEIGHTS,
    DIMENSIONS,
    POPULATION,
    CityProfile,
    distance,
    rank_peers,
    scales,
)

FULL = dict.fromkeys(DIMENSIONS, 5.0)


def test_weights_sum_to_one_and_size_has_a_quarter():
    assert math.isclose(sum(DEFAULT_WEIGHTS.values()), 1.0)
    assert DEFAULT_WEIGHTS[POPULATION] == 0.25


def test_hand_computed_distance():
    # Two profiles: every feature's sd (ddof=0) is half the difference, so each standardised
    # difference is 2 and d = sqrt(sum_j w_j * 4) = sqrt(4) = 2 with weights summing to 1.
    a = CityProfile("a", dict.fromkeys(DIMENSIONS, 2.0), population=10_000)
    b = CityProfile("b", dict.fromkeys(DIMENSIONS, 6.0), population=1_000_000)
    spread = scales([a, b])
    assert math.isclose(spread["personal"], 2.0)
    assert math.isclose(spread[POPULATION], 1.0)
    d, shared = distance(a, b, spread)
    assert math.isclose(d, 2.0)
    assert len(shared) == 8


def test_missing_dimensions_are_rescaled_not_counted_as_zero():
    # The same per-feature gap on fewer shared features gives the same distance (rescaled by W / W_ab).
    a = CityProfile("a", dict.fromkeys(DIMENSIONS, 2.0), population=10_000)
    b = CityProfile("b", dict.fromkeys(DIMENSIONS, 6.0), population=1_000_000)
    b_partial = CityProfile("b", {d: (6.0 if d in DIMENSIONS[:4] else None) for d in DIMENSIONS}, population=1e6)
    full, _ = distance(a, b, scales([a, b]))
    partial, shared = distance(a, b_partial, scales([a, b]))
    assert math.isclose(full, partial)
    assert set(shared) == {*DIMENSIONS[:4], POPULATION}


def test_too_few_shared_dimensions_is_not_comparable():
    a = CityProfile("a", FULL, population=1000)
    b = CityProfile("b", {"personal": 3.0, "community": 4.0}, population=1000)
    assert distance(a, b, scales([a, b])) is None
    assert rank_peers(a, [b]) == []
    assert [p.key for p in rank_peers(a, [b], min_dimensions=2)] == ["b"]


def test_ranking_closest_first_and_order_independent():
    me = CityProfile("me", FULL, population=500_000)
    twin = CityProfile("twin", FULL, population=500_000)
    same_scores_small = CityProfile("small", FULL, population=5_000)
    different = CityProfile("diff", dict.fromkeys(DIMENSIONS, 9.0), population=500_000)
    one = [p.key for p in rank_peers(me, [different, same_scores_small, twin])]
    two = [p.key for p in rank_peers(me, [twin, different, same_scores_small])]
    assert one == two
    assert one[0] == "twin"
    peers = rank_peers(me, [twin, different])
    assert peers[0].distance == 0.0 and peers[0].similarity == 1.0
    assert all(0 < p.similarity <= 1 for p in peers)


def test_target_is_not_its_own_peer_and_inputs_untouched():
    scores = dict(FULL)
    me = CityProfile("me", scores, population=1000)
    assert rank_peers(me, [me]) == []
    assert scores == FULL


def test_nan_and_nonpositive_population_are_missing():
    p = CityProfile("p", {**FULL, "food": float("nan")}, population=0)
    assert "food" not in p.features() and POPULATION not in p.features()


def test_symmetric_distance():
    a = CityProfile("a", {**FULL, "personal": 8.0}, population=2e5)
    b = CityProfile("b", {**FULL, "community": 1.0}, population=7e6)
    spread = scales([a, b])
    assert math.isclose(distance(a, b, spread)[0], distance(b, a, spread)[0])


def test_negative_weights_refused():
    me = CityProfile("me", FULL)
    with pytest.raises(ValueError):
        rank_peers(me, [], weights={**DEFAULT_WEIGHTS, "food": -1})
