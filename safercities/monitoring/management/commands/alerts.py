"""``safercities alerts --city SLUG [--since P] [--status S] --json`` (INTERFACES.md's alerts shape)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.analytics.periods import parse_period
from safercities.ingest.exports import alert_rows
from safercities.places.models import City


class Command(BaseCommand):
    help = "List a city's stored alerts (run 'safercities compute' to refresh them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True)
        parser.add_argument("--since", help="only periods from this one on, e.g. 2025-01")
        parser.add_argument("--status", choices=["new", "acknowledged", "resolved"])
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            city = City.objects.get(slug=options["city"])
        except City.DoesNotExist:
            raise CommandError("no city with that slug", returncode=2) from None
        since = None
        if options["since"]:
            try:
                since = parse_period(options["since"]).code
            except ValueError as exc:
                raise CommandError(str(exc), returncode=2) from None
        alerts = [a for a in alert_rows(city, since=since) if not options["status"] or a["status"] == options["status"]]
        if options["json"]:
            self.stdout.write(json.dumps({"alerts": alerts}, ensure_ascii=False, indent=1))
            return
        for a in alerts:
            self.stdout.write(f"{a['severity']:<6} {a['kind']:<10} {a['period']:<8} {a['area']:<12} {a['explanation']}")
