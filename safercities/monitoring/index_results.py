"""The composite index on the Django side: rows → indicator matrix → analytics → stored results.

The index is computed per calendar year and per area level. An indicator's value for a year is its
annual observation when there is one; otherwise its sub-annual observations in that year are combined
in the database — summed for ``sum`` indicators, averaged for ``mean`` and ``rate`` indicators — so
that monthly incident counts and annual survey values sit in one matrix. Only totals (no
disaggregation) enter the index.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Avg, Case, Count, F, FloatField, Func, IntegerField, Max, Q, Sum, Value, When
from django.db.models.functions import Cast, ExtractYear, Substr
from django.utils import timezone

from safercities.analytics.composite import (
    CompositeIndexError,
    IndicatorSpec,
    UncertaintyConfig,
    assess_uncertainty,
    compute_index,
)
from safercities.analytics.composite import IndexDefinition as IndexMethod
from safercities.indicators.models import Indicator, Observation
from safercities.monitoring.bulk import analyze, insert_rows
from safercities.monitoring.models import IndexDefinition, IndexResult
from safercities.monitoring.sql import DayNumber
from safercities.places.models import Area, City

DEFAULT_SLUG = "hsi"
MIN_AREAS = 3


def ensure_default_definition(city: City) -> IndexDefinition:
    """The city's default index: all seven dimensions, the methodology's default methods."""
    definition, _created = IndexDefinition.objects.get_or_create(
        city=city,
        slug=DEFAULT_SLUG,
        defaults={
            "name": "Composite Human Security Index",
            "config": IndexMethod().to_dict(),
            "is_default": not IndexDefinition.objects.filter(city=city, is_default=True).exists(),
        },
    )
    return definition


def method_of(definition: IndexDefinition) -> IndexMethod:
    config = dict(definition.config or {})
    config.setdefault("name", definition.name)
    return IndexMethod.from_dict(config)


def indicator_specs(city: City, codes: Iterable[str] | None = None) -> dict[str, IndicatorSpec]:
    indicators = Indicator.objects.filter(city=city).select_related("dimension")
    if codes is not None:
        indicators = indicators.filter(code__in=list(codes))
    return {
        indicator.code: IndicatorSpec(indicator.dimension.code, higher_is_worse=indicator.higher_is_worse)
        for indicator in indicators
    }


def indicator_matrix(city: City, year: int, level: str) -> pd.DataFrame:
    """Areas (codes) × indicators (codes) of raw values for ``year`` at ``level``."""
    return indicator_matrices(city, [year], levels=[level]).get((year, level), pd.DataFrame())


def _year_of(field: str) -> Func:
    """The calendar year of a date column, natively on both databases (Django's ``__year`` runs a Python
    function per row on SQLite, where dates are ``YYYY-MM-DD`` text)."""
    if connection.vendor == "sqlite":
        return Cast(Substr(F(field), 1, 4), IntegerField())
    return ExtractYear(field)


def observation_groups(
    city: City, years: Iterable[int] | None = None, levels: Iterable[str] | None = None
) -> dict[str, np.ndarray]:
    """ONE ``GROUP BY (area, indicator, year)`` over a city's totals, as numpy columns.

    Per group: the annual value and count, the sum, mean and count of the sub-annual values (what the
    index needs), and the count and newest start of the *monthly* values — what the alerts' threshold
    and trend read needs to know per series (:func:`month_series`), so that a full compute scans the
    ~3 M observations once for both. Only groups whose period starts and ends in the same calendar year.
    """
    rows = (
        Observation.objects.filter(city=city, sex="", age_group="", disability="")
        .annotate(year=_year_of("period_start"), end_year=_year_of("period_end"))
        .filter(year=F("end_year"))
    )
    if years is not None:
        rows = rows.filter(year__in=list(years))
    if levels is not None:
        rows = rows.filter(area__level__in=list(levels))
    annual, sub, month = Q(period_type="year"), ~Q(period_type="year"), Q(period_type="month")
    month_start = DayNumber("period_start")  # days since 1970-01-01: numpy reads integers ~40× faster
    grouped = (
        rows.order_by()
        .values("area_id", "indicator_id", "year")
        .annotate(
            annual=Sum(Case(When(annual, then=F("value")), output_field=FloatField())),
            n_annual=Count(Case(When(annual, then=Value(1)), output_field=IntegerField())),
            total=Sum(Case(When(sub, then=F("value")), output_field=FloatField())),
            mean=Avg(Case(When(sub, then=F("value")), output_field=FloatField())),
            n=Count(Case(When(sub, then=Value(1)), output_field=IntegerField())),
            n_month=Count(Case(When(month, then=Value(1)), output_field=IntegerField())),
            newest_month=Max(Case(When(month, then=month_start))),
        )
    )
    # A plain cursor (no per-row converters: ~400,000 groups on a 2,000-area city), then numpy.
    sql, params = grouped.query.sql_with_params()
    query = grouped.query
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if not fetched:
        return {}
    columns = dict(zip(names, zip(*fetched, strict=True), strict=True))
    del fetched

    def numbers(name: str, dtype: type = float) -> np.ndarray:
        return np.array(columns[name], dtype=dtype)  # None → NaN (a C loop, not a Python one)

    return {
        "area_id": np.array(columns["area_id"], dtype=np.int64),
        "indicator_id": np.array(columns["indicator_id"], dtype=np.int64),
        "year": numbers("year", np.int64),
        "n_annual": numbers("n_annual"),
        "n": numbers("n"),
        "total": numbers("total"),
        "mean": numbers("mean"),
        "annual": numbers("annual"),
        "n_month": numbers("n_month"),
        "newest_month": numbers("newest_month"),  # days since 1970-01-01; NaN: no monthly value
    }


def month_series(groups: dict[str, np.ndarray]) -> dict[tuple[int, int], tuple[int, str]]:
    """(indicator id, area id) → (number of monthly values, newest monthly start as ``YYYY-MM-DD``) of
    every series with monthly values, from :func:`observation_groups` (every year, every level)."""
    if not groups:
        return {}
    has = groups["n_month"] > 0
    if not has.any():
        return {}
    indicator, area = groups["indicator_id"][has], groups["area_id"][has]
    newest = groups["newest_month"][has].astype(np.int64).astype("datetime64[D]")  # days since 1970-01-01
    width = int(area.max()) + 1
    keys, series = np.unique(indicator * width + area, return_inverse=True)
    series = series.ravel()
    counts = np.bincount(series, weights=groups["n_month"][has], minlength=len(keys)).astype(np.int64)
    latest = np.full(len(keys), np.datetime64("0001-01-01"), dtype="datetime64[D]")
    np.maximum.at(latest, series, newest)
    return {
        (k // width, k % width): (n, day)
        for k, n, day in zip(
            keys.tolist(), counts.tolist(), np.datetime_as_string(latest, unit="D").tolist(), strict=True
        )
    }


def indicator_matrices(
    city: City,
    years: Iterable[int] | None = None,
    levels: Iterable[str] | None = None,
    *,
    groups: dict[str, np.ndarray] | None = None,
) -> dict[tuple[int, str], pd.DataFrame]:
    """``indicator_matrix`` for every (year, level) at once, from ONE ``GROUP BY (area, indicator, year)``.

    The observations are read once for the whole history instead of once per year and level — on
    2,000 areas × 40 indicators × 60 months, one scan of ~3 M rows instead of ten. ``years`` and
    ``levels`` limit the result (default: every year and level with data); ``groups`` is that read
    (:func:`observation_groups`) when the caller already holds it.
    """
    if groups is None:
        groups = observation_groups(city, years, levels)
    if not groups:
        return {}
    area_pk, indicator_pk, year = groups["area_id"], groups["indicator_id"], groups["year"]
    n_annual, n_sub = groups["n_annual"], groups["n"]
    total, mean, annual_value = groups["total"], groups["mean"], groups["annual"]
    # Positions in code order (Python's, not the database collation's), so that the matrices come out
    # sorted exactly like ``Series.unstack().sort_index()``.
    area_list = sorted(Area.objects.filter(city=city).values_list("pk", "code", "level"), key=lambda x: x[1])
    indicator_list = sorted(
        Indicator.objects.filter(city=city).values_list("pk", "code", "aggregation"), key=lambda x: x[1]
    )
    area_pos = np.full(max(int(area_pk.max()), max((a[0] for a in area_list), default=0)) + 1, -1, dtype=np.int64)
    area_pos[[a[0] for a in area_list]] = np.arange(len(area_list))
    indicator_pos = np.full(
        max(int(indicator_pk.max()), max((i[0] for i in indicator_list), default=0)) + 1, -1, dtype=np.int64
    )
    indicator_pos[[i[0] for i in indicator_list]] = np.arange(len(indicator_list))
    is_sum = np.array([i[2] == "sum" for i in indicator_list], dtype=bool)
    a, j = area_pos[area_pk], indicator_pos[indicator_pk]
    # An annual figure wins over its months; months are summed or averaged by the indicator's aggregation.
    value = np.where(n_annual > 0, annual_value, np.where(is_sum[j], total, mean))
    keep = (n_annual > 0) | (n_sub > 0)
    area_codes = np.array([x[1] for x in area_list], dtype=object)
    area_levels = np.array([x[2] for x in area_list], dtype=object)
    indicator_codes = np.array([x[1] for x in indicator_list], dtype=object)
    matrices: dict[tuple[int, str], pd.DataFrame] = {}
    for level in sorted(set(area_levels[a[keep]].tolist())):
        at_level = keep & (area_levels[a] == level)
        for y in sorted(set(year[at_level].tolist())):
            mask = at_level & (year == y)
            rows, row_of = np.unique(a[mask], return_inverse=True)
            cols, col_of = np.unique(j[mask], return_inverse=True)
            grid = np.full((len(rows), len(cols)), np.nan)
            grid[row_of.ravel(), col_of.ravel()] = value[mask]
            matrices[(int(y), level)] = pd.DataFrame(
                grid, index=pd.Index(area_codes[rows].tolist()), columns=pd.Index(indicator_codes[cols].tolist())
            )
    return matrices


def index_levels(city: City) -> list[str]:
    """Area levels with enough areas holding observations to rank."""
    levels = Observation.objects.filter(city=city).values("area__level").annotate(n=Count("area", distinct=True))
    return sorted(row["area__level"] for row in levels if row["n"] >= MIN_AREAS)


def index_years(city: City) -> list[int]:
    starts = Observation.objects.filter(city=city).values_list("period_start__year", flat=True).distinct()
    return sorted(set(starts))


def _seed(*parts: object) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


def compute_and_store(
    city: City,
    definition: IndexDefinition,
    year: int,
    level: str,
    *,
    draws: int = 1000,
    data: pd.DataFrame | None = None,
    specs: dict[str, IndicatorSpec] | None = None,
    area_ids: dict[str, int] | None = None,
) -> list[IndexResult]:
    """Compute one (definition, year, level) and replace its stored results in one transaction.

    ``data`` (the year's matrix), ``specs`` and ``area_ids`` (code → pk) may be given when the caller
    already holds them, as :func:`compute_city_indices` does for a whole city."""
    method = method_of(definition)
    if data is None:
        data = indicator_matrix(city, year, level)
    period = f"{year:04d}"
    specs = indicator_specs(city, data.columns) if specs is None else {c: specs[c] for c in data.columns if c in specs}
    if method.indicators is not None:
        data = data[[code for code in data.columns if code in set(method.indicators)]]
    data = data[[code for code in data.columns if code in specs]]
    rows: list[IndexResult] = []
    if len(data) >= MIN_AREAS and data.shape[1] > 0:
        try:
            result = compute_index(data, specs, method)
            uncertainty = (
                assess_uncertainty(
                    data, specs, method, UncertaintyConfig(n_draws=draws), seed=_seed(city.slug, period, level)
                )
                if draws
                else None
            )
        except CompositeIndexError:
            result, uncertainty = None, None
        if result is not None:
            areas = (
                area_ids
                if area_ids is not None
                else dict(Area.objects.filter(city=city, code__in=list(data.index)).values_list("code", "pk"))
            )
            now = timezone.now()
            # Per-area lookups as plain dicts: pandas .loc per area costs ~0.1 ms each, 2,000 areas × 3.
            flags = result.imputed.to_numpy(dtype=bool)
            names = list(result.imputed.columns)
            imputed_of = {
                code: [names[j] for j in np.flatnonzero(row)]
                for code, row in zip(result.imputed.index, flags, strict=True)
            }
            counts = dict(zip(data.index, data.notna().sum(axis=1).astype(int).tolist(), strict=True))
            medians = (
                {code: (None if pd.isna(v) else float(v)) for code, v in uncertainty.median_rank.items()}
                if uncertainty is not None
                else {}
            )
            for record in result.records(uncertainty):
                code = record["code"]
                imputed = imputed_of[code]
                rows.append(
                    IndexResult(
                        city=city,
                        definition=definition,
                        area_id=areas[code],
                        period=period,
                        level=level,
                        score=record["score"],
                        rank=record["rank"],
                        median_rank=medians.get(code),
                        rank_low=record["rank_interval"][0] if record["rank_interval"] else None,
                        rank_high=record["rank_interval"][1] if record["rank_interval"] else None,
                        dimensions=record["dimensions"],
                        # Only what is per area: the method is the definition's ``config``, stored once.
                        details={"imputed": imputed, "indicators": counts[code]},
                        computed_at=now,
                    )
                )
    with transaction.atomic():
        IndexResult.objects.filter(definition=definition, period=period, level=level).delete()
        insert_rows(IndexResult, rows)  # bulk_create's values, without its per-object SQL building
    return rows


def compute_city_indices(
    city: City, *, draws: int = 1000, history_draws: int = 200, shared: dict | None = None
) -> dict[str, int]:
    """Every definition × year × level of a city; the latest year gets the full Monte Carlo.

    The observations are read once (:func:`observation_groups`); when ``shared`` (a dict the caller
    keeps for the steps of one compute) is given, that read's per-series monthly summary is left in it
    as ``shared["month_series"]`` for the alerts (:func:`month_series`).
    """
    ensure_default_definition(city)
    groups = observation_groups(city)
    if shared is not None:
        shared["month_series"] = month_series(groups)
    matrices = indicator_matrices(city, groups=groups)
    # Years and levels as index_years/index_levels would give them, less those that cannot be ranked
    # (no observation inside the calendar year, fewer than MIN_AREAS areas): no query of their own.
    years = sorted({year for year, _level in matrices})
    levels = sorted({level for (_y, level), m in matrices.items() if len(m) >= MIN_AREAS})
    specs = indicator_specs(city)
    area_ids = dict(Area.objects.filter(city=city).values_list("code", "pk"))
    stored = 0
    for definition in IndexDefinition.objects.filter(city=city):
        for year in years:
            for level in levels:
                n_draws = draws if year == years[-1] else history_draws
                data = matrices.get((year, level), pd.DataFrame())
                rows = compute_and_store(
                    city, definition, year, level, draws=n_draws, data=data, specs=specs, area_ids=area_ids
                )
                stored += len(rows)
    analyze(IndexResult)  # fresh planner statistics for the pages that read the results (PostgreSQL)
    return {"index_results": stored, "years": len(years), "levels": len(levels)}
