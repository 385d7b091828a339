"""``safercities purge_contacts [--city SLUG]``: the daily purge of residents' contact data.

Blanks reporters' contact details past retention and deletes community follow requests never confirmed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from safercities.community.actions import purge_unconfirmed_followers
from safercities.places.models import City
from safercities.reports.actions import purge_contacts


class Command(BaseCommand):
    help = (
        "Blank the contact details of reports closed longer ago than the city's retention period, and "
        "delete community follow requests never confirmed."
    )

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
        followers = purge_unconfirmed_followers(city=city)
        self.stdout.write(f"deleted {followers} unconfirmed follow request(s)")
