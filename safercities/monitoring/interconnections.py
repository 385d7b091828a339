"""Interconnected challenges: how the seven dimensions (and the indicators) move together across areas.

Dimension scores come from the stored index results of the city's default index for the year; the
indicator table is the same matrix the index is built from. The statistics are in
``safercities.analytics.spatial.correlation`` (Pearson and Spearman, BH-adjusted q-values).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from safercities.analytics.spatial.correlation import pairwise_correlations
from safercities.indicators.models import DIMENSION_CODES
from safercities.monitoring.index_results import indicator_matrix
from safercities.monitoring.models import IndexResult
from safercities.places.models import City


def _clean(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 6)


def interconnections(city: City, year: int, level: str, *, of: str = "dimensions", min_n: int = 8) -> dict[str, Any]:
    """Pairwise correlations across the areas of ``level`` in ``year``, strongest first."""
    if of == "dimensions":
        rows = IndexResult.objects.filter(
            city=city, definition__is_default=True, period=f"{year:04d}", level=level
        ).select_related("area")
        table = pd.DataFrame({r.area.code: {d: r.dimensions.get(d) for d in DIMENSION_CODES} for r in rows}).T.astype(
            float
        )
    elif of == "indicators":
        table = indicator_matrix(city, year, level)
    else:
        raise ValueError("of must be 'dimensions' or 'indicators'")
    if table.empty:
        return {"city": city.slug, "period": f"{year:04d}", "level": level, "of": of, "pairs": []}
    result = pairwise_correlations(table.dropna(axis=1, how="all"), min_n=min_n)
    result = result.dropna(subset=["r"])
    result = result.reindex(result["r"].abs().sort_values(ascending=False).index)
    pairs = [
        {
            "x": row.x,
            "y": row.y,
            "method": row.method,
            "n": int(row.n),
            "r": _clean(row.r),
            "p_value": _clean(row.p_value),
            "q_value": _clean(row.q_value),
        }
        for row in result.itertuples()
    ]
    return {"city": city.slug, "period": f"{year:04d}", "level": level, "of": of, "pairs": pairs}
