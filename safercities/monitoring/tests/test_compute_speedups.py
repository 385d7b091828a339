"""The faster compute gives the results of the plain methods (issue 3, round 3).

Each shortcut is checked against a straightforward reference: the threshold/trend rules against one
read of every observation and the single-series trend test; the shared monthly summary against its own
``GROUP BY``; the COPY/executemany insert against ``bulk_create``; the whole compute with the shared
read against the steps run on their own.
"""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from safercities.analytics.early_warning import SustainedTrend, ThresholdRule, from_threshold, from_trend
from safercities.analytics.periods import parse_period
from safercities.indicators.models import Indicator, Observation
from safercities.monitoring import alert_results, index_results
from safercities.monitoring.bulk import insert_rows
from safercities.monitoring.compute import compute_all
from safercities.monitoring.models import Alert, IndexDefinition, IndexResult
from safercities.places.models import Area

MONTHLY = ["unemployment-rate", "homicide-rate", "feel-safe-after-dark"]


def _obs(city, indicator, area, period, value):
    p = parse_period(period)
    return Observation(
        city=city,
        indicator=indicator,
        area=area,
        period=p.code,
        period_type=p.kind,
        period_start=p.start,
        period_end=p.end,
        value=value,
    )


@pytest.fixture
def series_city(city):
    """Areas with monthly series (some with gaps, some trending, one too short), quarters, years and a
    disaggregated row that must be ignored; thresholds on two indicators."""
    rng = random.Random(7)
    areas = [Area.objects.create(city=city, code=f"S{i:02d}", name=f"S{i}", level="neighbourhood") for i in range(12)]
    indicators = {i.code: i for i in Indicator.objects.filter(city=city, code__in=[*MONTHLY, "food-insecurity"])}
    Indicator.objects.filter(pk=indicators["unemployment-rate"].pk).update(threshold_amber=20, threshold_red=30)
    Indicator.objects.filter(pk=indicators["feel-safe-after-dark"].pk).update(threshold_amber=60, threshold_red=None)
    rows = []
    months = [f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)]
    for a, area in enumerate(areas):
        for c, code in enumerate(MONTHLY):
            slope = (0.8 if (a + c) % 3 == 0 else -0.6 if (a + c) % 3 == 1 else 0.0) * (1 + a % 2)
            kept = months
            if a % 4 == 1:  # gaps: the last 12 monthly values reach back further than the indicator's cutoff
                kept = [m for i, m in enumerate(months) if i % 3 != 1]
            if a == 5 and c == 0:
                kept = months[-8:]  # too short for a trend
            if a == 7 and c == 1:
                kept = months[:-6]  # ends earlier than the others
            for i, m in enumerate(kept):
                rows.append(_obs(city, indicators[code], area, m, 15 + slope * i + rng.gauss(0, 1.5)))
        for q in ("2024Q1", "2024Q2", "2024Q3"):
            rows.append(_obs(city, indicators["homicide-rate"], area, q, 10 + a + rng.random()))
        for y in range(2016, 2016 + 6 + a % 4):  # annual only: a trend on up to 12 years when ≥ 5
            rows.append(_obs(city, indicators["food-insecurity"], area, str(y), 30 + (a - 5) * (y - 2016) * 0.5))
    Observation.objects.bulk_create(rows)
    female = _obs(city, indicators["unemployment-rate"], areas[0], "2025-01", 99.0)
    female.sex = "female"
    female.save()
    return areas


def _reference_candidates(city):
    """The rules applied to every observation read with the ORM, one series at a time."""
    series = defaultdict(list)
    for o in Observation.objects.filter(city=city, sex="", age_group="", disability="").select_related(
        "indicator", "area"
    ):
        series[(o.indicator.code, o.area.code)].append((o.period_start, o.period_end, o.period, o.period_type, o.value))
    indicators = {i.code: i for i in Indicator.objects.filter(city=city)}
    thresholds, trends = [], []
    for (code, area), points in sorted(series.items()):
        points.sort(key=lambda p: (p[0], p[1]))
        indicator = indicators[code]
        worse = "higher" if indicator.higher_is_worse else "lower"
        if indicator.threshold_amber is not None or indicator.threshold_red is not None:
            rule = ThresholdRule(indicator.threshold_amber, indicator.threshold_red, worse, indicator.unit)
            thresholds.append(from_threshold(code, area, points[-1][2], rule.evaluate(points[-1][4])))
        kinds = {p[3] for p in points}
        kind = "month" if "month" in kinds else ("year" if "year" in kinds else None)
        same = [(p[2], p[4]) for p in points if p[3] == kind]
        if kind is None or len(same) < (alert_results.TREND_PERIODS if kind == "month" else 5):
            continue
        window = same[-alert_results.TREND_PERIODS :]
        trend = SustainedTrend(last=len(window), worse=worse, unit=kind).fit([v for _p, v in window]).detect()
        trends.append(from_trend(code, area, window[-1][0], trend))
    return [c for c in thresholds + trends if c is not None]


def _key(c):
    return (c.indicator, c.area, c.period, c.kind, c.severity, round(c.observed or 0, 9), c.explanation)


def test_threshold_and_trend_candidates_match_the_plain_rules(city, series_city):
    got = alert_results.threshold_and_trend_candidates(city)
    want = _reference_candidates(city)
    assert sorted(map(_key, got)) == sorted(map(_key, want))
    kinds = {c.kind for c in got}
    assert kinds == {"threshold", "trend"}  # the data exercise both rules
    assert any(c.period.startswith("20") and len(c.period) == 4 for c in got if c.kind == "trend")  # annual


def test_shared_monthly_summary_equals_its_own_group_by(city, series_city):
    groups = index_results.observation_groups(city)
    shared = index_results.month_series(groups)
    assert shared == alert_results._month_series(city)
    with_shared = alert_results.threshold_and_trend_candidates(city, months=shared)
    assert sorted(map(_key, with_shared)) == sorted(map(_key, alert_results.threshold_and_trend_candidates(city)))


def test_compute_all_equals_the_steps_run_alone(city, series_city):
    compute_all(city, draws=50)
    first = {
        "index": sorted(
            IndexResult.objects.values_list(
                "area__code", "period", "level", "score", "rank", "rank_low", "rank_high", "dimensions", "details"
            )
        ),
        "alerts": sorted(Alert.objects.values_list("indicator__code", "area__code", "period", "kind", "severity")),
    }
    IndexResult.objects.all().delete()
    Alert.objects.all().delete()
    index_results.compute_city_indices(city, draws=50)
    alert_results.compute_alerts(city)
    second = {
        "index": sorted(
            IndexResult.objects.values_list(
                "area__code", "period", "level", "score", "rank", "rank_low", "rank_high", "dimensions", "details"
            )
        ),
        "alerts": sorted(Alert.objects.values_list("indicator__code", "area__code", "period", "kind", "severity")),
    }
    assert first == second
    assert first["index"] and first["alerts"]


def test_insert_rows_stores_what_bulk_create_stores(city, series_city):
    definition = IndexDefinition.objects.create(city=city, slug="x", name="X")

    def make(period):
        return [
            IndexResult(
                city=city,
                definition=definition,
                area=area,
                period=period,
                level="neighbourhood",
                score=score,
                rank=rank,
                median_rank=None if rank is None else rank + 0.5,
                rank_low=rank,
                rank_high=None,
                dimensions={"economic": score, "food": None, "name": 'Ñandú "quoted" \\ tab\t'},
                details={"imputed": ["a", "b"], "indicators": 3},
            )
            for area, (score, rank) in zip(series_city, ((2.5, 1), (None, None), (1e-300, 7)), strict=False)
        ]

    IndexResult.objects.bulk_create(make("2001"))
    assert insert_rows(IndexResult, make("2002")) == 3
    fields = ["score", "rank", "median_rank", "rank_low", "rank_high", "dimensions", "details", "level", "area_id"]
    by_period = {
        p: sorted(IndexResult.objects.filter(period=p).values_list(*fields), key=repr) for p in ("2001", "2002")
    }
    assert by_period["2001"] == by_period["2002"]
    assert not IndexResult.objects.filter(computed_at__isnull=True).exists()


def test_store_alerts_updates_numbers_and_keeps_the_life_cycle(city, series_city):
    from safercities.analytics.early_warning import AlertCandidate

    def candidate(observed, severity="amber"):
        return AlertCandidate("unemployment-rate", "S00", "2024-12", "threshold", severity, observed, None, 20.0, "t")

    assert alert_results.store_alerts(city, [candidate(25.0)])["alerts_created"] == 1
    alert = Alert.objects.get()
    Alert.objects.filter(pk=alert.pk).update(status="acknowledged")
    assert alert_results.store_alerts(city, [candidate(25.0)]) == {
        "alerts_created": 0,
        "alerts_updated": 0,
        "alerts_unchanged": 1,
    }
    assert alert_results.store_alerts(city, [candidate(31.0, "red")])["alerts_updated"] == 1
    again = Alert.objects.get()
    assert (again.pk, again.status, again.severity, again.observed, again.upper) == (
        alert.pk,
        "acknowledged",
        "red",
        31.0,
        20.0,
    )
    assert again.updated_at >= alert.updated_at and again.created_at == alert.created_at


def test_sparse_incident_series_come_from_the_incident_read(city, series_city, monkeypatch):
    """Sparse count series (a month without incidents has no row) are completed from the incident
    observations already read for the exceedance rule — same candidates as the plain rules — and one
    series that also has a row from another source is read again (its counts differ)."""
    rng = random.Random(3)
    indicator = Indicator.objects.get(city=city, code="violent-crime-rate")
    Indicator.objects.filter(pk=indicator.pk).update(threshold_amber=8, threshold_red=12)
    months = [f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)]
    rows = []
    for a, area in enumerate(series_city):
        kept = [m for i, m in enumerate(months) if rng.random() < (0.35 if a % 2 else 0.9)]  # sparse and dense
        for i, m in enumerate(kept):
            obs = _obs(city, indicator, area, m, float(rng.randint(1, 6) + (i * 0.3 if a % 3 == 0 else 0)))
            obs.source, obs.numerator = "incidents", obs.value
            rows.append(obs)
    Observation.objects.bulk_create(rows)
    manual = _obs(city, indicator, series_city[1], "2021-06", 4.0)  # another source in one sparse series
    manual.source = "police yearbook"
    manual.save()

    want = sorted(map(_key, _reference_candidates(city)))
    months_summary = alert_results._month_series(city)
    points = alert_results.read_series_points(city)
    incident = alert_results.incident_months(city)
    assert sorted(map(_key, alert_results.threshold_and_trend_candidates(city))) == want
    reads = []
    original = alert_results._read_points
    monkeypatch.setattr(
        alert_results, "_read_points", lambda q, into, *e: (reads.append(str(q.query)), original(q, into, *e))
    )
    got = alert_results.threshold_and_trend_candidates(city, months=months_summary, points=points, incident=incident)
    assert sorted(map(_key, got)) == want
    assert any(c.indicator == "violent-crime-rate" and c.kind == "trend" for c in got)
    # Of the count indicator's series, only the mixed-source one was read again.
    rereads = [q for q in reads if f'"indicator_id" = {indicator.pk} ' in q]
    assert len(rereads) == 1, rereads
    assert f'"area_id" IN ({series_city[1].pk})' in rereads[0], rereads[0]


def test_day_number_is_days_since_1970_on_this_database(city, series_city):
    """``DayNumber`` must equal numpy's ``datetime64[D]`` count on both databases (SQLite's Julian day
    arithmetic, PostgreSQL's date subtraction), including dates before 1970 and leap days."""
    import datetime

    import numpy as np

    from safercities.monitoring.sql import DayNumber

    indicator = Indicator.objects.get(city=city, code="food-insecurity")
    for day in ("1969-12-31", "1970-01-01", "2024-02-29", "2025-01-01"):
        start = datetime.date.fromisoformat(day)
        Observation.objects.create(
            city=city, indicator=indicator, area=series_city[0], period=f"d{day}", period_type="day",
            period_start=start, period_end=start, value=1.0, sex="male",
        )  # fmt: skip
        got = (
            Observation.objects.filter(period=f"d{day}")
            .annotate(n=DayNumber("period_start"))
            .values_list("n", flat=True)
        )
        assert list(got) == [int(np.datetime64(day, "D").astype(np.int64))]
