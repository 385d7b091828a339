"""The index builder's preview: the lead's rows→matrix code, the analytics, nothing stored."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from django.utils.translation import gettext as _

from safercities.analytics.composite import (
    CompositeIndexError,
    UncertaintyConfig,
    assess_uncertainty,
    compute_index,
)
from safercities.analytics.composite import IndexDefinition as IndexMethod
from safercities.monitoring.index_results import MIN_AREAS, index_years, indicator_matrix, indicator_specs
from safercities.places.models import Area, City

PREVIEW_DRAWS = 200  # enough for a 90 % interval to settle to ±1 rank on a few dozen areas; fast in a request


@dataclass
class Preview:
    year: int | None = None
    level: str = ""
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    used: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def preview_index(city: City, method: IndexMethod, level: str, *, draws: int = PREVIEW_DRAWS) -> Preview:
    """Scores, ranks and 90 % rank intervals of the latest year at ``level``, as the publish would store."""
    years = index_years(city)
    if not years:
        return Preview(error=_("There are no observations yet: import some first."))
    year = years[-1]
    out = Preview(year=year, level=level)
    data = indicator_matrix(city, year, level)
    chosen = list(method.indicators or [])
    specs = indicator_specs(city, data.columns)
    out.used = [code for code in chosen if code in data.columns and code in specs]
    out.missing = [code for code in chosen if code not in out.used]
    data = data[out.used] if out.used else pd.DataFrame()
    if len(data) < MIN_AREAS or data.shape[1] == 0:
        out.error = _("Too little data: %(areas)s area(s) and %(indicators)s indicator(s) with values in %(year)s.") % {
            "areas": len(data),
            "indicators": data.shape[1],
            "year": year,
        }
        return out
    try:
        result = compute_index(data, specs, method)
        uncertainty = assess_uncertainty(
            data,
            specs,
            method,
            UncertaintyConfig(n_draws=draws),
            seed=zlib.crc32(f"{city.slug}|{year}|{level}".encode()),
        )
    except CompositeIndexError as exc:
        out.error = str(exc)
        return out
    names = dict(Area.objects.filter(city=city, code__in=list(data.index)).values_list("code", "name"))
    for record in result.records(uncertainty):
        interval = record["rank_interval"] or [None, None]
        out.rows.append(
            {
                "code": record["code"],
                "name": names.get(record["code"], record["code"]),
                "score": record["score"],
                "rank": record["rank"],
                "rank_low": interval[0],
                "rank_high": interval[1],
                "dimensions": record["dimensions"],
                "indicators": int(data.loc[record["code"]].notna().sum()),
            }
        )
    out.rows.sort(key=lambda row: (row["rank"] is None, row["rank"] or 0, row["code"]))
    out.notes = list(result.notes)
    return out
