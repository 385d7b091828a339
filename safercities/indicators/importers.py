"""Importers of the indicators app (one module per file kind; this one is the public entry)."""

from safercities.indicators.indicator_import import import_indicators
from safercities.indicators.observation_import import import_observations

__all__ = ["import_indicators", "import_observations"]
