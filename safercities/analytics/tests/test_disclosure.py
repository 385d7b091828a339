"""Disclosure control: primary and secondary suppression, h3 masking."""

import h3
import numpy as np
import pytest

from safercities.analytics.disclosure import mask_points, suppress_counts, suppressed_total, suppression_mask


def test_primary_suppression_without_totals():
    # Reference: Hundepool et al. (2012) §5.2 threshold rule — cells 0 < c < k are withheld.
    assert suppress_counts([1, 4, 5, 0, 100], threshold=5, with_total=False) == [None, None, 5, 0, 100]


def test_secondary_suppression_protects_a_lone_cell():
    # One suppressed cell and a published total: the smallest other non-zero cell goes too.
    assert suppress_counts([20, 3, 9, 50], threshold=5) == [20, None, None, 50]
    # Two suppressed cells already protect each other.
    assert suppress_counts([20, 3, 2, 50], threshold=5) == [20, None, None, 50]


def test_two_dimensional_secondary_suppression_is_not_recoverable():
    table = np.array([[20, 3, 15], [12, 30, 25], [40, 18, 22]])
    hidden = suppression_mask(table, 5)
    # Every row and column with a hidden cell has at least two, so no total reveals one by subtraction.
    for line in list(hidden) + list(hidden.T):
        assert line.sum() in (0, 2, 3)
    assert hidden[0, 1]


def test_random_tables_never_leave_a_single_hidden_cell():
    rng = np.random.default_rng(7)
    for _ in range(50):
        table = rng.poisson(6, size=(rng.integers(2, 7), rng.integers(2, 7)))
        hidden = suppression_mask(table, 5)
        assert np.all(hidden[(table > 0) & (table < 5)])
        for line, values in list(zip(hidden, table, strict=True)) + list(zip(hidden.T, table.T, strict=True)):
            # A line may keep one hidden cell only if it is its only non-zero cell (then its total is small).
            if line.sum() == 1:
                assert (values > 0).sum() == 1


def test_total_suppressed_when_small():
    assert suppressed_total([1, 2]) is None
    assert suppressed_total([0, 0]) == 0
    assert suppressed_total([3, 4]) == 7


def test_bad_counts_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        suppression_mask(np.array([1, -1]))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        suppression_mask(np.zeros((2, 2, 2)))


def test_mask_points_rolls_up_sparse_cells_and_never_publishes_points():
    rng = np.random.default_rng(1)
    # A dense cluster (kept at resolution 8) and two lonely points far away (rolled up, then withheld).
    lat = np.concatenate([19.0 + rng.normal(0, 0.0005, 50), [19.3, 19.6]])
    lon = np.concatenate([-98.2 + rng.normal(0, 0.0005, 50), [-98.6, -98.9]])
    result = mask_points(lat, lon, resolution=8, threshold=5)
    assert sum(cell.count for cell in result.cells) + result.withheld == len(lat)
    assert all(cell.count >= 5 for cell in result.cells)
    assert result.withheld == 2
    # Published positions are cell centres, never an input coordinate.
    inputs = set(zip(lat.round(9), lon.round(9), strict=True))
    assert all((round(c.lat, 9), round(c.lon, 9)) not in inputs for c in result.cells)
    features = result.as_features()
    assert features[0]["geometry"]["type"] == "Polygon"
    assert "lat" not in features[0]["properties"]


def test_mask_points_coarsens_to_reach_k():
    # Reference: h3 hierarchy — 6 points spread over sibling res-8 cells of one res-7 parent.
    parent = h3.latlng_to_cell(19.0, -98.2, 7)
    children = sorted(h3.cell_to_children(parent, 8))[:6]
    centres = [h3.cell_to_latlng(c) for c in children]
    result = mask_points([c[0] for c in centres], [c[1] for c in centres], resolution=8, threshold=5)
    assert [(c.cell, c.count) for c in result.cells] == [(parent, 6)]
    assert result.withheld == 0


def test_invalid_coordinates_are_withheld_not_published():
    result = mask_points([np.nan, 95.0, 19.0], [-98.2, -98.2, -98.2], threshold=1)
    assert result.withheld == 2 and sum(c.count for c in result.cells) == 1
