"""Verbs that change places: creating a city (with its indicator catalogue)."""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction

from safercities.places.models import City


def create_city(
    *,
    slug: str,
    name: str,
    country: str,
    languages: str = "en,es",
    timezone: str = "UTC",
    is_synthetic: bool = False,
) -> City:
    """Create a city and copy the shipped indicator catalogue into it, in one transaction."""
    from safercities.indicators.catalogue import install_catalogue

    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError({"timezone": f"unknown time zone {timezone!r}"}) from None
    languages = ",".join(code.strip().lower() for code in languages.split(",") if code.strip())
    city = City(
        slug=slug,
        name=name,
        country=country.upper(),
        languages=languages or "en",
        timezone=timezone,
        is_synthetic=is_synthetic,
    )
    city.full_clean()
    with transaction.atomic():
        city.save()
        install_catalogue(city)
    return city
