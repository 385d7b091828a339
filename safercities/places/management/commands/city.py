"""``safercities city create SLUG --name NAME --country ISO2 [--languages en,es] [--timezone TZ]``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.places.actions import create_city
from safercities.places.models import City


class Command(BaseCommand):
    help = "Manage cities (tenants)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a city with the shipped indicator catalogue")
        create.add_argument("slug")
        create.add_argument("--name", required=True)
        create.add_argument("--country", required=True, help="ISO 3166-1 alpha-2, e.g. MX or ZA")
        create.add_argument("--languages", default="en,es")
        create.add_argument("--timezone", default="UTC")
        sub.add_parser("list", help="list the cities")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            for city in City.objects.order_by("slug"):
                self.stdout.write(f"{city.slug}\t{city.country}\t{city.name}")
            return
        if City.objects.filter(slug=options["slug"]).exists():
            raise CommandError(f"a city with slug {options['slug']!r} exists already", returncode=1)
        try:
            city = create_city(
                slug=options["slug"],
                name=options["name"],
                country=options["country"],
                languages=options["languages"],
                timezone=options["timezone"],
            )
        except ValidationError as exc:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            raise CommandError(f"city not created: {details}", returncode=1) from None
        self.stdout.write(f"Created city {city.slug} ({city.name}) with {city.indicators.count()} indicators.")
