"""``safercities index --city SLUG --period P [--level L] --json`` (INTERFACES.md's index shape)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.analytics.periods import parse_period
from safercities.monitoring.index_results import compute_and_store, ensure_default_definition, index_levels
from safercities.monitoring.models import IndexResult
from safercities.places.models import City


class Command(BaseCommand):
    help = "The composite index of every area for a year (stored results; computed when missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True)
        parser.add_argument("--period", required=True, help="a year, e.g. 2024")
        parser.add_argument("--level", help="area level (default: the finest with data)")
        parser.add_argument("--index", default=None, help="index definition slug (default: the city's default)")
        parser.add_argument("--recompute", action="store_true")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            city = City.objects.get(slug=options["city"])
        except City.DoesNotExist:
            raise CommandError("no city with that slug", returncode=2) from None
        try:
            period = parse_period(options["period"])
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        if period.kind != "year":
            raise CommandError("the index is computed per calendar year: give --period YYYY", returncode=2)
        definition = ensure_default_definition(city)
        if options["index"]:
            definition = city.index_definitions.filter(slug=options["index"]).first()
            if definition is None:
                raise CommandError(f"no index definition {options['index']!r}", returncode=2)
        levels = index_levels(city)
        level = options["level"] or (levels[-1] if levels else None)
        if level is None or level not in levels:
            known = ", ".join(levels) or "none"
            raise CommandError(f"no observations at level {level!r} (levels with data: {known})", returncode=1)
        results = IndexResult.objects.filter(definition=definition, period=period.code, level=level)
        if options["recompute"] or not results.exists():
            compute_and_store(city, definition, period.start.year, level)
        rows = results.select_related("area").order_by("rank", "area__code")
        data = {
            "city": city.slug,
            "index": definition.slug,
            "period": period.code,
            "level": level,
            "areas": [
                {
                    "code": r.area.code,
                    "name": r.area.name,
                    "score": r.score,
                    "rank": r.rank,
                    "rank_interval": [r.rank_low, r.rank_high] if r.rank_low is not None else None,
                    "dimensions": r.dimensions,
                }
                for r in rows
            ],
        }
        if not data["areas"]:
            raise CommandError(f"not enough data for an index in {period.code} at level {level}", returncode=1)
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
            return
        for area in data["areas"]:
            score = "—" if area["score"] is None else f"{area['score']:.2f}"
            interval = area["rank_interval"] or ["?", "?"]
            self.stdout.write(f"{area['rank'] or '—':>4} {score:>6}  [{interval[0]}–{interval[1]}]  {area['name']}")
