"""The demo city's lessons-learned library: called by ``safercities demo`` after the data and users are loaded."""

from __future__ import annotations

from collections.abc import Callable

from safercities.places.models import City


def build(city: City, *, say: Callable[[str], None]) -> None:
    """Create this app's demo records; a re-run changes nothing."""
