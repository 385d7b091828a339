"""``safercities hotspots --city SLUG --indicator CODE --period P [--level L | --h3 RES] --json``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.analytics.periods import parse_period
from safercities.indicators.models import Indicator
from safercities.monitoring.hotspot_results import HotspotError, analyse, finest_polygon_level, store
from safercities.places.models import City


class Command(BaseCommand):
    help = "Global Moran's I, Gi* hot/cold spots and LISA clusters of one indicator (stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True)
        parser.add_argument("--indicator", required=True)
        parser.add_argument("--period", required=True)
        unit = parser.add_mutually_exclusive_group()
        unit.add_argument("--level")
        unit.add_argument("--h3", type=int, metavar="RES")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            city = City.objects.get(slug=options["city"])
        except City.DoesNotExist:
            raise CommandError("no city with that slug", returncode=2) from None
        try:
            indicator = Indicator.objects.get(city=city, code=options["indicator"])
        except Indicator.DoesNotExist:
            raise CommandError(f"no indicator {options['indicator']!r} in this city", returncode=2) from None
        try:
            period = parse_period(options["period"]).code
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        level = options["level"] if options["h3"] is None else None
        if options["h3"] is None and level is None:
            level = finest_polygon_level(city)
        try:
            unit, result = analyse(city, indicator, period, level=level, h3_resolution=options["h3"])
        except HotspotError as exc:
            raise CommandError(str(exc), returncode=1) from None
        store(city, indicator, period, unit, result)
        data = result.as_dict(indicator=indicator.code, period=period)
        data["unit"] = unit
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
            return
        moran = data["moran"]
        self.stdout.write(f"Moran's I {moran['I']:.3f} (p = {moran['p_value']}), weights {data['weights']}")
        for u in data["units"]:
            if u["hotspot"] or u["lisa"]:
                self.stdout.write(f"  {u['code']:<20} {u['hotspot'] or '':<5} {u['lisa'] or '':<3} z={u['gi_z']:.2f}")
