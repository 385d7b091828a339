"""``safercities compute --city SLUG [--json] [--aggregate]``: recompute every stored result now (or queue it)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safercities.jobs.queue import enqueue
from safercities.monitoring.compute import compute_all
from safercities.places.models import City


class Command(BaseCommand):
    help = "Recompute the index, alerts and hot spots of a city (--aggregate: re-aggregate incidents first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--city", required=True)
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws for the latest year")
        parser.add_argument("--queue", action="store_true", help="queue the work for the worker instead")
        parser.add_argument(
            "--aggregate",
            action="store_true",
            help="re-aggregate incidents into monthly observations first (the incidents import already does)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            city = City.objects.get(slug=options["city"])
        except City.DoesNotExist:
            raise CommandError("no city with that slug", returncode=2) from None
        if options["draws"] < 0:
            raise CommandError("--draws must be ≥ 0", returncode=2)
        if options["queue"]:
            if options["aggregate"]:  # its own key: a queued plain compute must not swallow the request
                job = enqueue("compute", city=city, params={"aggregate": True}, key=f"compute:{city.pk}:aggregate")
            else:
                job = enqueue("compute", city=city)
            self.stdout.write(json.dumps({"queued": job.pk}) if options["json"] else f"queued job {job.pk}")
            return
        summary = compute_all(city, draws=options["draws"], aggregate=options["aggregate"])
        if options["json"]:
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=1))
            return
        for step, seconds in summary["seconds"].items():
            details = ", ".join(f"{k} {v}" for k, v in summary.get(step, {}).items())
            self.stdout.write(f"{step:<12} {seconds:>7.2f} s  {details}")
