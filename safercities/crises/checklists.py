"""Preparedness checklists: a template per hazard, shipped as data (``data/checklists.json``, en/es).

Every hazard's list starts with the common items (``_common``); the status of each item is kept per
crisis and area (:class:`~safercities.crises.models.ChecklistStatus`), "not started" until set.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import get_language

from safercities.crises.models import ChecklistStatus, Crisis

TEMPLATE = Path(__file__).with_name("data") / "checklists.json"


@dataclass(frozen=True)
class Item:
    key: str
    text: dict[str, str]

    @property
    def label(self) -> str:
        language = (get_language() or "en")[:2]
        return self.text.get(language) or self.text["en"]


@cache
def _template() -> dict[str, list[dict[str, str]]]:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def items_for(hazard: str) -> list[Item]:
    """The common items, then the hazard's own (the "other" list for an unknown hazard)."""
    data = _template()
    rows = data["_common"] + data.get(hazard, data["other"])
    return [Item(row["key"], {k: v for k, v in row.items() if k != "key"}) for row in rows]


def progress(crisis: Crisis) -> dict[str, Any]:
    """Status of every item in every affected area, with the share done per area and per item."""
    items = items_for(crisis.hazard)
    areas = list(crisis.areas.order_by("code"))
    stored = {(s.area_id, s.item): s.status for s in ChecklistStatus.objects.filter(crisis=crisis)}
    rows = []
    for item in items:
        cells = [stored.get((area.pk, item.key), ChecklistStatus.NOT_STARTED) for area in areas]
        done = sum(1 for c in cells if c == ChecklistStatus.DONE)
        rows.append({"item": item, "cells": list(zip(areas, cells, strict=True)), "done": done})
    per_area = []
    for index, area in enumerate(areas):
        statuses = [row["cells"][index][1] for row in rows]
        done = sum(1 for s in statuses if s == ChecklistStatus.DONE)
        started = sum(1 for s in statuses if s == ChecklistStatus.IN_PROGRESS)
        per_area.append(
            {
                "area": area,
                "done": done,
                "in_progress": started,
                "percent": round(100 * done / len(items)) if items else 0,
            }
        )
    return {"items": items, "areas": areas, "rows": rows, "per_area": per_area}
