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
from django.db.models import Avg, Case, Count, F, FloatField, Func, IntegerField, Q, Sum, Value, When
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
from safercities.monitoring.models import IndexDefinition, IndexResult
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


def _matrix(values: dict[tuple[str, str], float]) -> pd.DataFrame:
    if not values:
        return pd.DataFrame()
    return pd.Series(values).unstack().sort_index()


def indicator_matrix(city: City, year: int, level: str) -> pd.DataFrame:
    """Areas (codes) × indicators (codes) of raw values for ``year`` at ``level``."""
    return indicator_matrices(city, [year], levels=[level]).get((year, level), pd.DataFrame())


def _year_of(field: str) -> Func:
    """The calendar year of a date column, natively on both databases (Django's ``__year`` runs a Python
    function per row on SQLite, where dates are ``YYYY-MM-DD`` text)."""
    if connection.vendor == "sqlite":
        return Cast(Substr(F(field), 1, 4), IntegerField())
    return ExtractYear(field)


def indicator_matrices(
    city: City, years: Iterable[int] | None = None, levels: Iterable[str] | None = None
) -> dict[tuple[int, str], pd.DataFrame]:
    """``indicator_matrix`` for every (year, level) at once, from ONE ``GROUP BY (area, indicator, year)``.

    The observations are read once for the whole history instead of once per year and level — on
    2,000 areas × 40 indicators × 60 months, one scan of ~3 M rows instead of ten. ``years`` and
    ``levels`` limit the result (default: every year and level with data).
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
    annual, sub = Q(period_type="year"), ~Q(period_type="year")
    grouped = (
        rows.order_by()
        .values("area_id", "indicator_id", "year")
        .annotate(
            annual=Sum(Case(When(annual, then=F("value")), output_field=FloatField())),
            n_annual=Count(Case(When(annual, then=Value(1)), output_field=IntegerField())),
            total=Sum(Case(When(sub, then=F("value")), output_field=FloatField())),
            mean=Avg(Case(When(sub, then=F("value")), output_field=FloatField())),
            n=Count(Case(When(sub, then=Value(1)), output_field=IntegerField())),
        )
    )
    areas = {pk: (code, level) for pk, code, level in Area.objects.filter(city=city).values_list("pk", "code", "level")}
    aggregations = dict(Indicator.objects.filter(city=city).values_list("pk", "aggregation"))
    codes = dict(Indicator.objects.filter(city=city).values_list("pk", "code"))
    values: dict[tuple[int, str], dict[tuple[str, str], float]] = {}
    for row in grouped:
        area, level = areas[row["area_id"]]
        if row["n_annual"]:
            value = row["annual"]  # an annual figure wins over its months
        elif row["n"]:
            value = row["total"] if aggregations[row["indicator_id"]] == "sum" else row["mean"]
        else:
            continue
        values.setdefault((int(row["year"]), level), {})[(area, codes[row["indicator_id"]])] = value
    return {key: _matrix(cells) for key, cells in values.items()}


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
            method_dict = method.to_dict()
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
                        details={
                            "imputed": imputed,
                            "indicators": counts[code],
                            "method": method_dict,
                        },
                        computed_at=now,
                    )
                )
    with transaction.atomic():
        IndexResult.objects.filter(definition=definition, period=period, level=level).delete()
        IndexResult.objects.bulk_create(rows)
    return rows


def compute_city_indices(city: City, *, draws: int = 1000, history_draws: int = 200) -> dict[str, int]:
    """Every definition × year × level of a city; the latest year gets the full Monte Carlo.

    The observations are read once (:func:`indicator_matrices`).
    """
    ensure_default_definition(city)
    matrices = indicator_matrices(city)
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
    return {"index_results": stored, "years": len(years), "levels": len(levels)}
