"""Gap computation, the allocation advisor (exact totals, reasoning) and recovery logic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from safercities.crises import advisor, fourw, gaps, recovery
from safercities.crises.models import Scenario
from safercities.crises.recovery import Point, assess
from safercities.crises.tests.factories import SHEET, build_crisis


@pytest.fixture
def world(city, tmp_path):
    data = build_crisis(city)
    path = Path(tmp_path) / "sheet.csv"
    path.write_text(SHEET, encoding="utf-8")
    assert fourw.import_sheet(data["crisis"], path).ok
    return data


# --- gaps ---------------------------------------------------------------------------------------------


def test_classes_of_need_coverage_and_gap():
    assert gaps.need_class(8.2, 4.17, 6.07) == "high"
    assert gaps.need_class(5.0, 4.17, 6.07) == "medium"
    assert gaps.need_class(2.5, 4.17, 6.07) == "low"
    assert gaps.need_class(None, 1, 2) is None
    assert gaps.coverage_class(0, 0, 1000) == "none"
    assert gaps.coverage_class(2, 99, 1000) == "low"
    assert gaps.coverage_class(2, 100, 1000) == "good"
    assert gaps.coverage_class(1, 5000, None) == "low"
    assert gaps.gap_class("high", "none") == gaps.CRITICAL
    assert gaps.gap_class("high", "low") == gaps.UNDER
    assert gaps.gap_class("high", "good") == gaps.MET
    assert gaps.gap_class("medium", "none") == gaps.UNDER
    assert gaps.gap_class("low", "none") == gaps.LOW
    assert gaps.gap_class(None, "good") == gaps.NODATA


@pytest.mark.django_db
def test_gap_computation_on_the_test_crisis(world):
    rows, facts = gaps.compute(world["crisis"], as_of=date(2024, 7, 1))
    by_code = {row.area.code: row for row in rows}
    assert facts["period"] == "2024"
    # Scores 2.5, 5.0, 8.2: terciles 4.17 and 6.07.
    assert round(facts["low_cut"], 2) == 4.17 and round(facts["high_cut"], 2) == 6.07
    a1, a2, a3 = by_code["A1"], by_code["A2"], by_code["A3"]
    assert (a1.need, a1.activities, a1.organisations, a1.reached) == ("low", 2, 2, 238)
    assert a1.coverage == "good" and a1.gap == gaps.MET  # 238 of 1,000 reached
    assert (a2.need, a2.activities, a2.planned, a2.reached) == ("medium", 1, 1, 54)
    assert a2.coverage == "low" and a2.gap == gaps.MET
    assert (a3.need, a3.activities, a3.gap) == ("high", 0, gaps.CRITICAL)
    assert a1.by_sector == {"health": 1, "wash": 1}


@pytest.mark.django_db
def test_the_report_date_limits_coverage(world):
    rows, _facts = gaps.compute(world["crisis"], as_of=date(2024, 6, 2))
    by_code = {row.area.code: row for row in rows}
    assert by_code["A1"].activities == 1  # only the water trucking had started


@pytest.mark.django_db
def test_gap_map_highlights_the_uncovered_high_need_area(world):
    rows, _facts = gaps.compute(world["crisis"])
    drawn = gaps.gap_map(world["crisis"], rows)
    shapes = {s.key: s for s in drawn.shapes}
    assert shapes["A3"].css == "critical" and shapes["A3"].fill == "#b2182b"
    assert drawn.shapes[-1].key == "A3"  # drawn last, its outline on top
    legend = {key: count for key, _label, _colour, count in drawn.legend}
    assert legend["critical"] == 1


# --- allocation ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("budget", "floor", "cap"),
    [("100000.00", "0", None), ("99999.99", "10000", None), ("1000.01", "100", "500"), ("7", "0", None)],
)
def test_allocation_adds_up_exactly_to_the_budget(world, budget, floor, cap):
    scenario = Scenario.objects.create(
        city=world["crisis"].city,
        crisis=world["crisis"],
        name=f"s{budget}",
        need="index",
        budget=Decimal(budget),
        floor=Decimal(floor),
        cap=Decimal(cap) if cap else None,
    )
    result = advisor.run(scenario)
    assert result.ok, result.error
    total = sum(Decimal(str(row["amount"])) for row in result.rows)
    assert total == Decimal(budget)
    assert {row["code"] for row in result.rows} == {"A1", "A2", "A3"}
    assert set(result.allocation.equity) >= {"concentration_index", "gini_per_capita", "share_to_neediest_quintile"}
    for row in result.rows:
        assert row["amount"] >= float(floor) - 1e-9
        if cap:
            assert row["amount"] <= float(cap) + 1e-9


@pytest.mark.django_db
def test_allocation_reasoning_explains_floors_and_caps(world):
    scenario = Scenario.objects.create(
        city=world["crisis"].city,
        crisis=world["crisis"],
        name="bounded",
        need="index",
        budget=Decimal("1000"),
        floor=Decimal("200"),
        cap=Decimal("450"),
    )
    rows = {row["code"]: row for row in advisor.run(scenario).rows}
    # Claims 2.5×1000, 5×2000, 8.2×3000 → shares 67.4, 269.5, 663.1 of 1,000.
    assert round(rows["A1"]["share"], 1) == 67.4 and rows["A1"]["amount"] == 200 and rows["A1"]["reason"] == "floor"
    assert rows["A3"]["amount"] == 450 and rows["A3"]["reason"] == "cap"
    assert rows["A2"]["amount"] == 350 and rows["A2"]["reason"] == "rebalanced"
    assert round(sum(r["adjustment"] for r in rows.values()), 6) == 0


@pytest.mark.django_db
def test_impossible_scenarios_report_the_reason(world):
    scenario = Scenario.objects.create(
        city=world["crisis"].city, crisis=world["crisis"], name="bad", budget=Decimal("100"), floor=Decimal("50")
    )
    result = advisor.run(scenario)
    assert not result.ok and "floors" in result.error
    unknown = Scenario.objects.create(
        city=world["crisis"].city, crisis=world["crisis"], name="unknown", need="no-such", budget=Decimal("100")
    )
    assert "neither" in advisor.run(unknown).error


# --- recovery --------------------------------------------------------------------------------------


def p(period: str, month: int, value: float, year: int = 2024) -> Point:
    return Point(period, date(year, month, 1), date(year, month, 28), value)


def test_recovery_baseline_is_the_mean_of_the_last_periods_before_the_start():
    points = [p("2024-01", 1, 100), p("2024-02", 2, 10), p("2024-03", 3, 12), p("2024-04", 4, 14), p("2024-05", 5, 30)]
    result = assess(points, date(2024, 5, 1), higher_is_worse=True)
    assert result.baseline == 12 and result.baseline_periods == ("2024-02", "2024-03", "2024-04")
    assert round(result.limit, 6) == 13.2
    assert result.status == recovery.NOT_YET and result.latest.period == "2024-05"


def test_recovered_since_the_first_period_of_the_final_run_within_tolerance():
    points = [p("2024-01", 1, 10), p("2024-02", 2, 10), p("2024-03", 3, 10)]
    after = [p("2024-04", 4, 30), p("2024-05", 5, 10.5), p("2024-06", 6, 20), p("2024-07", 7, 11), p("2024-08", 8, 9)]
    result = assess(points + after, date(2024, 4, 1), higher_is_worse=True)
    assert result.status == recovery.RECOVERED and result.since == "2024-07"


def test_recovery_is_direction_aware_and_handles_missing_data():
    before = [p("2024-01", 1, 80), p("2024-02", 2, 80), p("2024-03", 3, 80)]
    worse = assess([*before, p("2024-04", 4, 70)], date(2024, 4, 1), higher_is_worse=False)
    better = assess([*before, p("2024-04", 4, 73)], date(2024, 4, 1), higher_is_worse=False)
    assert worse.status == recovery.NOT_YET and better.status == recovery.RECOVERED
    assert assess(before, date(2024, 4, 1), higher_is_worse=True).status == recovery.NO_DATA
    assert assess([p("2024-05", 5, 1)], date(2024, 4, 1), higher_is_worse=True).status == recovery.NO_BASELINE


@pytest.mark.django_db
def test_area_recovery_on_the_test_city(world):
    blocks = {b["area"].code: b for b in recovery.area_recovery(world["crisis"])}
    # Unemployment (higher is worse): 2023 baseline, 2024 value. A1 6.5 vs 7 → recovered; A3 14 vs 12 → not yet.
    a1 = {r["indicator"].code: r["result"] for r in blocks["A1"]["rows"]}
    a3 = {r["indicator"].code: r["result"] for r in blocks["A3"]["rows"]}
    assert a1["unemployment-rate"].status == recovery.RECOVERED and a1["unemployment-rate"].since == "2024"
    assert a3["unemployment-rate"].status == recovery.NOT_YET
