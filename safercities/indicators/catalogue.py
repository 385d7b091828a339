"""The indicator catalogue shipped with the product (``catalogue.json``), copied into each new city.

Each entry: ``code, name, definition, dimension, unit, direction, aggregation, rate_per,
official_code, source, disaggregations, incident_categories, threshold_amber, threshold_red`` and
``translations`` (``{"es": {"name": …, "definition": …, "unit": …}}``). The assignment of an SDG
indicator to a human-security dimension is ours, not an official UN mapping.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction

from safercities.indicators.models import Dimension, Indicator
from safercities.places.models import City

CATALOGUE_PATH = Path(__file__).with_name("catalogue.json")
FIELDS = (
    "name",
    "definition",
    "unit",
    "direction",
    "aggregation",
    "rate_per",
    "official_code",
    "source",
    "disaggregations",
    "incident_categories",
    "threshold_amber",
    "threshold_red",
    "translations",
)


@lru_cache(maxsize=1)
def load_catalogue() -> tuple[dict[str, Any], ...]:
    """The shipped entries, read once per process."""
    with open(CATALOGUE_PATH, encoding="utf-8") as handle:
        return tuple(json.load(handle))


def install_catalogue(city: City) -> int:
    """Add the catalogue's indicators that the city lacks; never overwrite a city's own edits."""
    dimensions = {dimension.code: dimension for dimension in Dimension.objects.all()}
    existing = set(city.indicators.values_list("code", flat=True))
    new = [
        Indicator(
            city=city,
            code=entry["code"],
            dimension=dimensions[entry["dimension"]],
            **{name: entry[name] for name in FIELDS if name in entry},
        )
        for entry in load_catalogue()
        if entry["code"] not in existing
    ]
    with transaction.atomic():
        Indicator.objects.bulk_create(new)
    return len(new)
