"""``safercities allocate --city SLUG --budget AMOUNT [--need …] [--floor] [--cap] [--period P] --json``."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.analytics.allocation import AllocationError, allocate
from safercities.analytics.periods import parse_period
from safercities.monitoring.analysis import NeedError, need_for_allocation
from safercities.places.models import City


class Command(BaseCommand):
    help = "Split a budget across areas by need × population, with floors and caps (see methodology)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True)
        parser.add_argument("--budget", required=True, type=float)
        parser.add_argument("--need", default="index", help="index, a dimension name, or an indicator code")
        parser.add_argument("--floor", type=float, default=0.0)
        parser.add_argument("--cap", type=float)
        parser.add_argument("--period")
        parser.add_argument("--level", help="area level (default: that of the stored results)")
        parser.add_argument("--unit", type=float, default=0.01, help="rounding unit (0.01 = cents)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            city = City.objects.get(slug=options["city"])
        except City.DoesNotExist:
            raise CommandError("no city with that slug", returncode=2) from None
        period = options["period"]
        if period:
            try:
                period = parse_period(period).code
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from None
        try:
            vector = need_for_allocation(city, need=options["need"], period=period, level=options["level"])
            result = allocate(
                vector.need,
                vector.population,
                options["budget"],
                codes=vector.codes,
                floor=options["floor"],
                cap=options["cap"],
                unit=options["unit"],
            )
        except (NeedError, AllocationError) as exc:
            raise CommandError(str(exc), returncode=1) from None
        data = result.as_dict()
        data.update({"need": vector.label, "period": vector.period, "skipped": vector.skipped})
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"{result.method}; need = {vector.label}, period {vector.period}")
        for area in data["areas"]:
            self.stdout.write(
                f"  {area['code']:<16} need {area['need']:>8.2f}  pop {area['population']:>9}  {area['amount']:>14,.2f}"
            )
        for key, value in result.equity.items():
            self.stdout.write(f"  {key}: {value}")
