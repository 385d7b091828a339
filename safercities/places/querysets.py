"""Query vocabulary for places."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from safercities.places.models import City


class AreaQuerySet(models.QuerySet):
    def for_city(self, city: City) -> AreaQuerySet:
        return self.filter(city=city)

    def polygons(self) -> AreaQuerySet:
        """Areas that can contain points (have a polygon boundary)."""
        return self.filter(area_km2__gt=0)
