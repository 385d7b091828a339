"""The portal's one table: the version of each city's published figures, for the shared cache's keys."""

from __future__ import annotations

from django.db import models

from safercities.places.models import City


class CacheVersion(models.Model):
    """A random token that changes whenever what a city's public pages show changes (portal/cache.py).

    It lives in the database, not in the cache, so that every web process sees a change at the same
    moment it is committed — whatever the cache backend — and it is read in the same query as the
    city itself.
    """

    city = models.OneToOneField(City, on_delete=models.CASCADE, primary_key=True, related_name="portal_version")
    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.city_id}: {self.token}"
