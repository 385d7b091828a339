"""``safercities purge_contacts [--city SLUG]``: blank reporters' contact details past retention."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from safercities.places.models import City
from safercities.reports.actions import purge_contacts


class Command(BaseCommand):
    help = "Blank the contact details of reports closed longer ago than the city's retention period."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--city", help="only this city (slug)")

    def handle(self, *args: Any, **options: Any) -> None:
        city = None
        if options.get("city"):
            city = City.objects.filter(slug=options["city"]).first()
            if city is None:
                raise CommandError(f"no city {options['city']!r}")
        count = purge_contacts(city=city)
        self.stdout.write(f"purged contact details of {count} report(s)")
