"""``safercities interconnections --city SLUG --period YYYY [--level L] [--of dimensions|indicators] --json``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.analytics.periods import parse_period
from safercities.monitoring.index_results import index_levels
from safercities.monitoring.interconnections import interconnections
from safercities.places.models import City


class Command(BaseCommand):
    help = "Correlations of dimensions or indicators across areas, with BH-adjusted significance."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True)
        parser.add_argument("--period", required=True)
        parser.add_argument("--level")
        parser.add_argument("--of", choices=["dimensions", "indicators"], default="dimensions")
        parser.add_argument("--min-n", type=int, default=8, help="fewest areas for a pair to be tested")
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
            raise CommandError("give a year, e.g. --period 2024", returncode=2)
        levels = index_levels(city)
        level = options["level"] or (levels[-1] if levels else None)
        if level is None:
            raise CommandError("no observations yet", returncode=1)
        if options["min_n"] < 3:
            raise CommandError("--min-n must be at least 3", returncode=2)
        data = interconnections(city, period.start.year, level, of=options["of"], min_n=options["min_n"])
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
            return
        for pair in data["pairs"]:
            if pair["method"] == "spearman":
                self.stdout.write(
                    f"{pair['x']:<28} {pair['y']:<28} rho {pair['r']:+.2f}  q {pair['q_value']:.3g}  n {pair['n']}"
                )
