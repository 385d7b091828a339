"""Early warning on the Django side: observation rows → detectors → stored, deduplicated alerts.

Three kinds (docs/methodology-early-warning.md):

- ``exceedance``: the improved Farrington method on monthly incident counts (the numerators of the
  observations that incident aggregation writes, ``source = "incidents"``) for every area and every
  indicator that counts incidents; the newest ``EVALUATE_LAST`` months are evaluated.
- ``threshold``: an indicator's latest value per area against its amber/red levels.
- ``trend``: Mann-Kendall with Sen's slope over the last 12 monthly (or up to 12 annual) values, when
  the trend goes in the indicator's worse direction.

Alerts are keyed by (indicator, area, period, kind): recomputing updates the numbers of an existing
alert and never resets its life cycle (an acknowledged alert stays acknowledged).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from safercities.analytics.early_warning import (
    AlertCandidate,
    Farrington,
    ThresholdRule,
    deduplicate,
    from_detections,
    from_threshold,
    from_trend,
)
from safercities.analytics.early_warning.batch import farrington_batch
from safercities.analytics.early_warning.trend_batch import sustained_trend_batch
from safercities.analytics.periods import parse_period, shift
from safercities.indicators.models import Indicator, Observation
from safercities.monitoring.bulk import analyze
from safercities.monitoring.models import Alert
from safercities.monitoring.sql import DayNumber
from safercities.places.models import Area, City

EVALUATE_LAST = 3
TREND_PERIODS = 12
MIN_ANNUAL_TREND = 5
AGGREGATED_SOURCE = "incidents"


def _month_range(first: str, last: str) -> list[str]:
    period, end = parse_period(first), parse_period(last)
    codes = []
    while period.start <= end.start:
        codes.append(period.code)
        period = shift(period, 1)
    return codes


def incident_months(city: City) -> dict[str, np.ndarray]:
    """The city's monthly incident observations (``source = "incidents"``, totals) as numpy columns —
    ``indicator``, ``area``, ``period``, ``kind``, ``value``, ``start``, ``end``, ``numerator`` — read once
    for two uses: the exceedance rule's count matrix, and the monthly points of the sparse count series
    for the threshold and trend rules (:func:`complete_series_points`)."""
    queryset = Observation.objects.filter(
        city=city, source=AGGREGATED_SOURCE, period_type="month", sex="", age_group="", disability=""
    ).order_by()
    rows: list[tuple] = []
    _read_points(queryset, rows, "numerator")
    return _point_columns(rows, "numerator")


def incident_count_matrix(city: City, rows: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Monthly incident counts: one row per (indicator code, area code), sorted; one column per month of
    the city's whole month range (0 where no observation). From :func:`incident_months` (``rows``, when
    already read), built with numpy: ~600,000 cells of a 2,000-area city in well under a second."""
    if rows is None:
        rows = incident_months(city)
    if not len(rows["value"]):
        return pd.DataFrame()
    indicators = dict(Indicator.objects.filter(city=city).values_list("pk", "code"))
    areas = dict(Area.objects.filter(city=city).values_list("pk", "code"))
    indicator_ids, area_ids, numerators, values = rows["indicator"], rows["area"], rows["numerator"], rows["value"]
    period_of, seen = pd.factorize(rows["period"])  # period codes, first-seen order
    index = _month_range(min(seen), max(seen))
    column = {code: i for i, code in enumerate(index)}
    columns = np.array([column[p] for p in seen], dtype=np.int64)[period_of]
    width = int(area_ids.max()) + 1
    keys, row_of = np.unique(indicator_ids * width + area_ids, return_inverse=True)
    counts = np.zeros((len(keys), len(index)))
    counts[row_of.ravel(), columns] = np.where(np.isnan(numerators), values, numerators)
    labels = [(indicators[int(k) // width], areas[int(k) % width]) for k in keys]
    order = sorted(range(len(labels)), key=labels.__getitem__)
    return pd.DataFrame(counts[order], index=pd.MultiIndex.from_tuples([labels[i] for i in order]), columns=index)


def incident_count_series(city: City) -> dict[tuple[str, str], pd.Series]:
    """(indicator code, area code) → monthly counts over the city's whole month range (0 = none)."""
    matrix = incident_count_matrix(city)
    return {key: matrix.loc[key].rename(None) for key in matrix.index}


def history_years(months: int, *, window: int = 1, most: int = 5) -> int:
    """Years of reference values (Farrington's ``b``) a monthly series of this length allows.

    Noufaily et al. use five years; a city with four years of data can still be monitored with three
    (the newest period needs ``b`` full years plus the window before it).
    """
    return max(1, min(most, (months - window - 1) // 12))


def _can_alarm(counts: np.ndarray, last: int) -> np.ndarray:
    """Rows that could raise an exceedance in their ``last`` periods: a period alarms only if its count is
    above 0 and the 5-in-4 rule (``Farrington.limit54``) lets it, so other rows need no model at all.
    Sparse series (floods, homicides per neighbourhood) are most of a big city's rows and the costliest to
    fit; leaving them out changes no alert."""
    cases, span = Farrington("month").limit54 or (0, 1)
    width = counts.shape[1]
    possible = np.zeros(len(counts), dtype=bool)
    for k in range(max(0, width - last), width):
        recent = np.nansum(counts[:, max(0, k - span + 1) : k + 1], axis=1)
        possible |= (counts[:, k] > 0) & (recent >= cases)
    return possible


def exceedance_candidates(
    city: City, *, last: int = EVALUATE_LAST, matrix: pd.DataFrame | None = None
) -> list[AlertCandidate]:
    """The improved Farrington method on every (indicator, area) count series at once (the batched
    evaluator gives the single-series method's results; one evaluation costs ~20 ms on its own).
    ``matrix``: :func:`incident_count_matrix`, when already read."""
    if matrix is None:
        matrix = incident_count_matrix(city)
    if matrix.empty:
        return []
    b = history_years(matrix.shape[1] - last + 1)
    matrix = matrix[_can_alarm(matrix.to_numpy(), last)]
    if matrix.empty:
        return []
    results = farrington_batch(matrix, "month", last=last, b=b)
    candidates: list[AlertCandidate] = []
    for (indicator, area), result in zip(matrix.index, results, strict=True):
        candidates.extend(from_detections(indicator, area, result))
    return candidates


def _month_series(city: City) -> dict[tuple[int, int], tuple[int, str]]:
    """(indicator id, area id) → (number of monthly values, newest monthly start ``YYYY-MM-DD``): one
    ``GROUP BY`` over the city's totals (a full compute takes it from the index's read instead)."""
    totals = Observation.objects.filter(city=city, sex="", age_group="", disability="", period_type="month")
    meta = totals.order_by().values("indicator_id", "area_id").annotate(n=Count("id"), newest=Max("period_start"))
    return {(row["indicator_id"], row["area_id"]): (row["n"], row["newest"].isoformat()) for row in meta}


_NAMES = ("indicator", "area", "period", "kind", "value", "start", "end")


def _read_points(queryset: Any, into: list[tuple], *extra: str) -> None:
    """Append the rows of ``queryset`` (observations) as plain tuples of ``_NAMES`` and the ``extra``
    fields: a plain cursor, because Django's per-row converters cost ~8 µs a row on SQLite."""
    dates = {"start": DayNumber("period_start"), "end": DayNumber("period_end")}
    query = queryset.annotate(**dates).values_list(
        "indicator_id", "area_id", "period", "period_type", "value", "start", "end", *extra
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        into.extend(cursor.fetchall())


def _point_columns(rows: list[tuple], *extra: str) -> dict[str, np.ndarray]:
    """Tuples of ``_NAMES`` (and ``extra`` numbers: None → NaN) → numpy columns (``zip`` and numpy: C
    loops, no Python code per row); the dates come as day numbers
    (:class:`~safercities.monitoring.sql.DayNumber`) and only order the rows."""
    if not rows:
        types = {"indicator": np.int64, "area": np.int64, "value": float, "start": np.int64, "end": np.int64}
        types |= dict.fromkeys(extra, float)
        return {name: np.empty(0, dtype=types.get(name, object)) for name in (*_NAMES, *extra)}
    cols = dict(zip((*_NAMES, *extra), zip(*rows, strict=True), strict=True))
    return {
        **{name: np.array(cols[name], dtype=float) for name in extra},
        "indicator": np.array(cols["indicator"], dtype=np.int64),
        "area": np.array(cols["area"], dtype=np.int64),
        "period": np.array(cols["period"], dtype=object),
        "kind": np.array(cols["kind"], dtype=object),
        "value": np.array(cols["value"], dtype=float),
        "start": np.array(cols["start"], dtype=np.int64),
        "end": np.array(cols["end"], dtype=np.int64),
    }


def read_series_points(city: City) -> dict[str, np.ndarray]:
    """The first, larger part of the threshold and trend rules' read (totals only), unsorted: every
    non-monthly row, and each indicator's monthly rows from its newest monthly start less
    ``TREND_PERIODS − 1`` months. A series that ends earlier, or has gaps, lacks part of its window
    here; :func:`complete_series_points` reads those in full.

    Reading every observation of a city (~3 M rows) costs seconds; this reads ~30 % of them. The newest
    start per indicator is one look-up each in the ``(city, indicator, period_start)`` index."""
    totals = Observation.objects.filter(city=city, sex="", age_group="", disability="").order_by()
    since: dict[Any, list[int]] = defaultdict(list)  # first monthly start wanted → indicators
    for indicator in Indicator.objects.filter(city=city).order_by("pk").values_list("pk", flat=True):
        monthly = totals.filter(indicator_id=indicator, period_type="month")
        newest = monthly.order_by("-period_start").values_list("period_start", flat=True).first()
        if newest is not None:
            since[shift(parse_period(newest.isoformat()[:7]), -(TREND_PERIODS - 1)).start].append(indicator)
    wanted = ~Q(period_type="month")
    for start, indicators in since.items():  # usually one date for all indicators: one cheap condition
        wanted |= Q(period_type="month", period_start__gte=start, indicator_id__in=indicators)
    # One query, one scan of the city's rows: SQLite read the ~700,000 wanted rows of 3.1 M in ~1.4 s
    # this way, against 2.7 s through one index range per indicator (their rows lie all over the table).
    fetched: list[tuple] = []
    _read_points(totals.filter(wanted), fetched)
    return _point_columns(fetched)


def complete_series_points(
    city: City,
    table: dict[str, np.ndarray],
    months: dict[tuple[int, int], tuple[int, str]] | None = None,
    incident: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """:func:`read_series_points`'s columns completed and sorted by (indicator id, area id, period start,
    period end): ``indicator``, ``area``, ``period``, ``kind`` (the period type), ``value``.

    ``months`` — (indicator id, area id) → (number of monthly values, newest monthly start), from
    :func:`_month_series` or the index's read — tells which series got fewer monthly rows than their
    trend window needs (``min(n, TREND_PERIODS)``); those are read again in full — except a series all
    of whose ``n`` monthly rows are in ``incident`` (:func:`incident_months`, already read for the
    exceedance rule): the sparse incident counts, most of the gaps of a big city (a month without
    incidents has no row), are taken from there."""
    if months is None:
        months = _month_series(city)
    totals = Observation.objects.filter(city=city, sex="", age_group="", disability="").order_by()
    is_month = table["kind"] == "month"
    areas_seen = [int(t["area"].max()) for t in (table, incident) if t is not None and len(t["area"])]
    width = 1 + max([0, *areas_seen, *(a for _i, a in months)])
    series_key = table["indicator"] * width + table["area"]
    keys, counts = np.unique(series_key[is_month], return_counts=True)
    have = dict(zip(keys.tolist(), counts.tolist(), strict=True))
    gaps: dict[int, list[int]] = defaultdict(list)  # indicator → areas
    for (indicator, area), (n, _newest) in months.items():
        if have.get(indicator * width + area, 0) < min(n, TREND_PERIODS):
            gaps[indicator].append(area)
    if gaps:
        gap_keys = np.array([i * width + a for i, areas in gaps.items() for a in areas], dtype=np.int64)
        drop = is_month & np.isin(series_key, gap_keys)
        table = {name: column[~drop] for name, column in table.items()}
        parts = [table]
        if incident is not None and len(incident["value"]):
            incident_key = incident["indicator"] * width + incident["area"]
            in_gap = np.isin(incident_key, gap_keys)
            keys, counts = np.unique(incident_key[in_gap], return_counts=True)
            # All of a series' monthly rows are there when their count is the series' count (an import
            # committed between the reads makes them differ: that series is then read again).
            n_of = {k: months.get(divmod(k, width), (-1, ""))[0] for k in keys.tolist()}
            whole = [k for k, c in zip(keys.tolist(), counts.tolist(), strict=True) if c == n_of[k]]
            if whole:
                take = in_gap & np.isin(incident_key, np.array(whole, dtype=np.int64))
                parts.append({name: incident[name][take] for name in _NAMES})
                taken = set(whole)
                gaps = {i: [a for a in areas if i * width + a not in taken] for i, areas in gaps.items()}
        fetched: list[tuple] = []
        for indicator, areas in gaps.items():
            for begin in range(0, len(areas), 500):
                chunk = areas[begin : begin + 500]
                _read_points(totals.filter(indicator_id=indicator, area_id__in=chunk, period_type="month"), fetched)
        parts.append(_point_columns(fetched))
        table = {name: np.concatenate([part[name] for part in parts]) for name in _NAMES}
    # Oldest first within each series; stable, so equal dates keep the order in which they were read.
    order = np.lexsort((table["end"], table["start"], table["area"], table["indicator"]))
    return {name: table[name][order] for name in ("indicator", "area", "period", "kind", "value")}


def threshold_and_trend_candidates(
    city: City,
    *,
    months: dict[tuple[int, int], tuple[int, str]] | None = None,
    points: dict[str, np.ndarray] | None = None,
    incident: dict[str, np.ndarray] | None = None,
) -> list[AlertCandidate]:
    """Threshold rules on each series' newest value; Mann–Kendall (batched by window length) on its
    last ``TREND_PERIODS`` monthly values, or up to that many annual ones (at least ``MIN_ANNUAL_TREND``).
    ``months``: the per-series monthly summary when the caller has it; ``points``: the columns of
    :func:`read_series_points` when already read, and ``incident`` those of :func:`incident_months`
    (see :func:`complete_series_points`).

    Per series, the rule looks at the newest point of any period type; the trend at the periods of one
    type — monthly when the series has any, else annual — and needs ``TREND_PERIODS`` monthly or
    ``MIN_ANNUAL_TREND`` annual ones. Worked out on the sorted columns with numpy (~80,000 series).
    """
    indicators = {i.pk: i for i in Indicator.objects.filter(city=city)}
    areas = dict(Area.objects.filter(city=city).values_list("pk", "code"))
    table = complete_series_points(city, read_series_points(city) if points is None else points, months, incident)
    known = np.isin(table["indicator"], np.array(list(indicators), dtype=np.int64))
    table = {name: column[known] for name, column in table.items()}
    n_rows = len(table["value"])
    if n_rows == 0:
        return []
    ind, area, period, value = table["indicator"], table["area"], table["period"], table["value"]
    new_series = np.ones(n_rows, dtype=bool)
    new_series[1:] = (ind[1:] != ind[:-1]) | (area[1:] != area[:-1])
    first = np.flatnonzero(new_series)
    last = np.append(first[1:], n_rows) - 1
    group = np.cumsum(new_series) - 1  # series number of every row
    n_series = len(first)
    is_month, is_year = table["kind"] == "month", table["kind"] == "year"
    has_month = np.bincount(group, weights=is_month, minlength=n_series) > 0
    has_year = np.bincount(group, weights=is_year, minlength=n_series) > 0
    # The window's period type per series: 1 = month, 2 = year, 0 = none; its rows, oldest first.
    unit = np.where(has_month, 1, np.where(has_year, 2, 0))
    chosen = np.flatnonzero((is_month & (unit[group] == 1)) | (is_year & (unit[group] == 2)))
    chosen_group = group[chosen]
    count = np.bincount(chosen_group, minlength=n_series)
    needed = np.where(unit == 1, TREND_PERIODS, MIN_ANNUAL_TREND)
    length = np.minimum(count, TREND_PERIODS)
    testable = (unit > 0) & (count >= needed)
    # Position of each chosen row from its series' end: the window is the last ``length`` of them.
    starts_at = np.cumsum(count) - count  # index into ``chosen`` of each series' first chosen row
    from_end = count[chosen_group] - 1 - (np.arange(len(chosen)) - starts_at[chosen_group])
    in_window = from_end < length[chosen_group]
    window_rows = chosen[in_window]  # grouped by series, oldest first
    window_start = np.cumsum(length) - length  # index into ``window_rows`` of each series' window

    # Series in (indicator code, area code) order, as the rules were always applied.
    codes = [indicators[i].code for i in ind[first].tolist()]
    area_codes = [areas[a] for a in area[first].tolist()]
    order = sorted(range(n_series), key=lambda s: (codes[s], area_codes[s]))
    candidates: list[AlertCandidate | None] = []
    windows: dict[tuple[int, int], list[int]] = defaultdict(list)  # (length, unit) → series
    rules: dict[int, ThresholdRule | None] = {}
    for pk, indicator in indicators.items():
        if indicator.threshold_amber is not None or indicator.threshold_red is not None:
            worse = "higher" if indicator.higher_is_worse else "lower"
            rules[pk] = ThresholdRule(indicator.threshold_amber, indicator.threshold_red, worse, indicator.unit)
    series_indicator = ind[first].tolist()
    newest_value = value[last].tolist()
    newest_period = period[last].tolist()
    lengths, units, ok = length.tolist(), unit.tolist(), testable.tolist()
    for s in order:
        rule = rules.get(series_indicator[s])
        if rule is not None:
            candidates.append(from_threshold(codes[s], area_codes[s], newest_period[s], rule.evaluate(newest_value[s])))
        if ok[s]:
            windows[(lengths[s], units[s])].append(s)
    for (size, kind), members in windows.items():
        at = window_start[np.array(members, dtype=np.int64)][:, None] + np.arange(size)[None, :]
        rows = window_rows[at]  # (series, size) row numbers
        worse = ["higher" if indicators[series_indicator[s]].higher_is_worse else "lower" for s in members]
        alerts = sustained_trend_batch(value[rows], worse, unit="month" if kind == 1 else "year")
        ends = period[rows[:, -1]].tolist()
        for s, end, alert in zip(members, ends, alerts, strict=True):
            if alert is not None:
                candidates.append(from_trend(codes[s], area_codes[s], end, alert))
    return [c for c in candidates if c is not None]


def store_alerts(city: City, candidates: list[AlertCandidate]) -> dict[str, int]:
    """Upsert alert candidates by their key; never touches an alert's status."""
    unique = deduplicate(candidates)
    indicators = dict(Indicator.objects.filter(city=city).values_list("code", "pk"))
    areas = dict(Area.objects.filter(city=city).values_list("code", "pk"))
    # Plain tuples (no model instance per stored alert: ~10,000 on a large city); an instance is made only
    # for an alert that changes.
    existing = {
        (indicator, area, period, kind): (pk, severity, observed, expected, upper)
        for pk, indicator, area, period, kind, severity, observed, expected, upper in Alert.objects.filter(
            city=city
        ).values_list("id", "indicator_id", "area_id", "period", "kind", "severity", "observed", "expected", "upper")
    }
    created, updated, unchanged = [], [], 0
    now = timezone.now()
    for c in unique:
        key = (indicators[c.indicator], areas[c.area], c.period, c.kind)
        observed = c.observed if c.observed is not None else (c.expected or 0.0)
        alert = existing.get(key)
        if alert is None:
            created.append(
                Alert(
                    city=city,
                    indicator_id=key[0],
                    area_id=key[1],
                    period=c.period,
                    kind=c.kind,
                    severity=c.severity,
                    observed=observed,
                    expected=c.expected,
                    upper=c.upper,
                    explanation=c.explanation,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif alert[1:] != (c.severity, observed, c.expected, c.upper):
            updated.append(
                Alert(
                    pk=alert[0],
                    severity=c.severity,
                    observed=observed,
                    expected=c.expected,
                    upper=c.upper,
                    explanation=c.explanation,
                    updated_at=now,
                )
            )
        else:
            unchanged += 1
    with transaction.atomic():
        Alert.objects.bulk_create(created, batch_size=1000)
        Alert.objects.bulk_update(
            updated, ["severity", "observed", "expected", "upper", "explanation", "updated_at"], batch_size=1000
        )
    return {"alerts_created": len(created), "alerts_updated": len(updated), "alerts_unchanged": unchanged}


def compute_alerts(city: City, *, shared: dict | None = None) -> dict[str, int]:
    """Every alert of a city; ``shared`` may hold the index step's per-series monthly summary
    (``month_series``, see :func:`~safercities.monitoring.index_results.compute_city_indices`)."""
    months = (shared or {}).get("month_series")
    incident = incident_months(city)  # one read for the count matrix and the sparse series' points
    candidates = exceedance_candidates(city, matrix=incident_count_matrix(city, incident))
    candidates += threshold_and_trend_candidates(city, months=months, incident=incident)
    stored = store_alerts(city, candidates)
    if stored["alerts_created"] or stored["alerts_updated"]:
        analyze(Alert)  # fresh planner statistics after a bulk write (PostgreSQL; autovacuum is off)
    return stored
