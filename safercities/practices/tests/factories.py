"""Practices for tests, saved through the same path as the editor (so the search index is filled)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from safercities.indicators.models import Dimension
from safercities.practices import search
from safercities.practices.models import Practice


def make_practice(
    city, *, language: str = "en", status: str = Practice.PUBLISHED, dimensions=(), **text: Any
) -> Practice:
    fields = {"phase": Practice.PREVENT, **text}
    for name in ("title", "context", "problem", "intervention", "results"):
        fields.setdefault(f"{name}_{language}", f"{name} text")
    practice = Practice.objects.create(
        city=city,
        language=language,
        status=status,
        published_at=timezone.now() if status == Practice.PUBLISHED else None,
        **fields,
    )
    practice.dimensions.set(Dimension.objects.filter(code__in=list(dimensions)))
    search.reindex(practice)
    return practice
