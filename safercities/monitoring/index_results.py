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
from datetime import date

import pandas as pd
from django.db import transaction
from django.db.models import Avg, Count, Sum
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


def indicator_matrix(city: City, year: int, level: str) -> pd.DataFrame:
    """Areas (codes) × indicators (codes) of raw values for ``year`` at ``level``."""
    totals = Observation.objects.filter(
        city=city,
        area__level=level,
        sex="",
        age_group="",
        disability="",
        period_start__gte=date(year, 1, 1),
        period_end__lte=date(year, 12, 31),
    )
    annual = totals.filter(period_type="year").values_list("area__code", "indicator__code", "value")
    values: dict[tuple[str, str], float] = {(area, code): value for area, code, value in annual}
    aggregations = dict(Indicator.objects.filter(city=city).values_list("code", "aggregation"))
    sub_annual = (
        totals.exclude(period_type="year")
        .values("area__code", "indicator__code")
        .annotate(total=Sum("value"), mean=Avg("value"), n=Count("id"))
    )
    for row in sub_annual:
        key = (row["area__code"], row["indicator__code"])
        if key in values:
            continue  # an annual figure wins over its months
        values[key] = row["total"] if aggregations.get(key[1]) == "sum" else row["mean"]
    if not values:
        return pd.DataFrame()
    series = pd.Series(values)
    return series.unstack().sort_index()


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
    city: City, definition: IndexDefinition, year: int, level: str, *, draws: int = 1000
) -> list[IndexResult]:
    """Compute one (definition, year, level) and replace its stored results in one transaction."""
    method = method_of(definition)
    data = indicator_matrix(city, year, level)
    period = f"{year:04d}"
    specs = indicator_specs(city, data.columns)
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
            areas = dict(Area.objects.filter(city=city, code__in=list(data.index)).values_list("code", "pk"))
            now = timezone.now()
            for record in result.records(uncertainty):
                code = record["code"]
                imputed = [c for c, flag in result.imputed.loc[code].items() if flag]
                rows.append(
                    IndexResult(
                        city=city,
                        definition=definition,
                        area_id=areas[code],
                        period=period,
                        level=level,
                        score=record["score"],
                        rank=record["rank"],
                        median_rank=float(uncertainty.median_rank.loc[code])
                        if uncertainty is not None and not pd.isna(uncertainty.median_rank.loc[code])
                        else None,
                        rank_low=record["rank_interval"][0] if record["rank_interval"] else None,
                        rank_high=record["rank_interval"][1] if record["rank_interval"] else None,
                        dimensions=record["dimensions"],
                        details={
                            "imputed": imputed,
                            "indicators": int(data.loc[code].notna().sum()),
                            "method": method.to_dict(),
                        },
                        computed_at=now,
                    )
                )
    with transaction.atomic():
        IndexResult.objects.filter(definition=definition, period=period, level=level).delete()
        IndexResult.objects.bulk_create(rows)
    return rows


def compute_city_indices(city: City, *, draws: int = 1000, history_draws: int = 200) -> dict[str, int]:
    """Every definition × year × level of a city; the latest year gets the full Monte Carlo."""
    ensure_default_definition(city)
    years = index_years(city)
    levels = index_levels(city)
    stored = 0
    for definition in IndexDefinition.objects.filter(city=city):
        for year in years:
            for level in levels:
                n_draws = draws if year == years[-1] else history_draws
                stored += len(compute_and_store(city, definition, year, level, draws=n_draws))
    return {"index_results": stored, "years": len(years), "levels": len(levels)}
